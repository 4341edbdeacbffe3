"""hlmtutor.lmm: the linear mixed model engine, one module per step of lme4's pipeline.

Each step produces one immutable object, as lme4's ``lFormula`` -> ``mkLmerDevfun`` ->
``optimizeLmer`` -> ``mkMerMod`` do (Bates et al. 2015, J. Stat. Softw. 67(1)):

=================== ==================================================== =============================
module              produces                                             lme4 / lmerTest
=================== ==================================================== =============================
``formula``         ``Formula``: the package's one formula parser        findbars, nobars, expandSlash
``frame``           ``ModelFrame``: complete rows, X with R's names,     lFormula, model.frame
                    dropped rows, lost groups and aliased columns
``terms``           ``ReTerms``: per random term its factor, Z block,    mkReTrms
                    theta slice and bounds, in lme4's order
``pls``             ``PlsSystem``: the predictor side, the penalised     merPredD
                    weighted least-squares system of theta (weight-aware
                    cross-products, block/Schur Cholesky, solve,
                    log-determinants, modes, condVar)
``deviance``        ``Deviance``: the Gaussian response side on top of   mkLmerDevfun, lmerResp
                    ``PlsSystem``: the profiled REML/ML criterion
                    (with its fast path), sigma, lmerTest's (theta,
                    sigma) functions
``response``        offset() terms, weights=/offset= on the model's rows model.frame (weights,
                                                                         offset)
``family``          GLM families: links, variance, deviance residuals    binomial(), poisson()
``glmm``            PIRLS (the GLMM response side on ``PlsSystem``) and  mkGlmerDevfun, PIRLS,
                    the Laplace / AGQ / nAGQ = 0 GLMM criteria           glmResp
``optimize``        ``minimize`` -> ``Optimum``: BOBYQA over theta (and  optimizeLmer, optimizeGlmer,
                    beta) with lme4's settings and checks                checkConv
``merbase``         ``MerResult``: what every fitted mixed model holds   merMod
``result``          ``LmerResult``: the fitted linear model, read-only   mkMerMod
``glmer_result``    ``GlmerResult``: the fitted GLMM, read-only          glmerMod
``inference``       Satterthwaite tests, type III anova, LRT, confint    lmerTest, confint.merMod
                    (their derivatives exact: ``varpar_derivatives``)
``prediction``      ``predict`` with R's re.form, new levels             predict.merMod
``summary``         ``LmerSummary``: the summary as data, renderers      summary(fit, ddf=)
``glmer_summary``   ``GlmerSummary``: lme4's GLMM summary, data first    summary.glmerMod
``glmer_inference`` Wald and profile intervals of a GLMM                 confint.merMod
``fit``             ``lmer``: the steps in order                         lmer
``residual``        nlme's residual structures on the rows, and the      corAR1, corCAR1, varIdent
                    whitening by L_i^-1
``structured``      ``StructuredLmerResult``: lmer on whitened data,     nlme's lme(correlation =,
                    structure parameters optimised with theta            weights =)
``glmer_fit``       ``glmer``: responses, checks, the two stages         glmer, optimizeGlmer
=================== ==================================================== =============================

Beside the pipeline, lmerTest's and pbkrtest's toolbox for a fitted model:

=================== ================================================== ==========================
module              holds                                              lmerTest / pbkrtest / lme4
=================== ================================================== ==========================
``contrasts``       ``contest``, ``coef_table``, ``anova_table``,      contest, summary, anova,
                    ``drop1``, ``ls_means``, ``difflsmeans``           drop1, ls_means
``kenward_roger``   the adjusted covariance of beta and its df         vcovAdj, get_Lb_ddf
``ranova``          likelihood-ratio tests of the random terms         ranova
``bootstrap``       ``simulate_lmer``, ``bootstrap``, ``pb_modcomp``   simulate, bootMer, PBmodcomp
``update``          refit (lmer or glmer) with a changed formula/data  update
=================== ================================================== ==========================

:func:`hlmtutor.lmer` is the entry point; the modules can be used one at a time to look inside
a fit, e.g. ``model_frame(formula, data).X`` or ``fit.deviance_function(theta)``.
"""
