"""hlmtutor.lmm: the linear mixed model engine, one module per lme4 step."""
