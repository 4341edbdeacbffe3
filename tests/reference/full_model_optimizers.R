# The guide's full model fitted by lmerTest with each of lme4's optimizers: the fixed-effects
# table (Estimate, Std. Error, Satterthwaite df, t, p) at full precision. The random slope is not
# identified, so each optimizer stops at another point of a flat ridge; this shows how many digits
# of the table lme4 itself can reproduce (chapter 7 reads a copy in book/data/).
# Run from the repository root: Rscript tests/reference/full_model_optimizers.R
suppressMessages({library(lme4); library(lmerTest)})
data <- read.csv("tests/reference/guide_data.csv")
formula <- math_score ~ intervention + ses + intervention * ses + (1 + intervention | classroom_id)
rows <- list()
for (opt in c("nloptwrap", "bobyqa", "Nelder_Mead")) {
  fit <- suppressMessages(suppressWarnings(
    lmer(formula, data = data, control = lmerControl(optimizer = opt))))
  tab <- coef(summary(fit))
  rows[[opt]] <- data.frame(optimizer = opt, term = rownames(tab),
                            estimate = tab[, "Estimate"], std_error = tab[, "Std. Error"],
                            df = tab[, "df"], t_value = tab[, "t value"], p_value = tab[, "Pr(>|t|)"],
                            reml_criterion = REMLcrit(fit))
}
out <- do.call(rbind, rows)
dir.create("tests/reference/critique", showWarnings = FALSE)
write.csv(format(out, digits = 17), "tests/reference/critique/full_fixef_by_optimizer.csv",
          row.names = FALSE)
