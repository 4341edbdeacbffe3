# Reference values for chapter 8 ("What the guide's simulation really did") and tests/test_diagnostics.py.
# Run from the repository root:  Rscript tests/reference/critique.R
# Writes tests/reference/critique/*.csv; book/data/08-lme4-optimizers.csv is a copy of optimizers.csv
# and book/data/11-hsb-lme4.csv of hsb_lme4.csv (copy them after a rerun).
#
# The guide's full model puts a random slope on `intervention`, which is constant within each classroom.
# Its slope variance and correlation are not identified, so lme4's optimizers stop at different points of a
# ridge of equal REML criterion. This script records where each one stops.
suppressMessages({library(lme4)})
out <- "tests/reference/critique"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
if (!file.exists("../shared/guide/guide_data.csv")) stop("run from the repository root (/work/main)")
data <- read.csv("../shared/guide/guide_data.csv")

fit_with <- function(optimizer) {
  lmer(math_score ~ intervention + ses + intervention * ses + (1 + intervention | classroom_id),
       data = data, control = lmerControl(optimizer = optimizer))
}
rows <- lapply(c("nloptwrap", "bobyqa", "Nelder_Mead"), function(opt) {
  m <- fit_with(opt)
  vc <- as.data.frame(VarCorr(m))
  th <- getME(m, "theta")
  # which(): the residual row has var1 = NA, which a plain logical index would turn into an NA row.
  tau00 <- vc$vcov[which(vc$var1 == "(Intercept)" & is.na(vc$var2))]
  tau11 <- vc$vcov[which(vc$var1 == "intervention" & is.na(vc$var2))]
  tau01 <- vc$vcov[which(vc$var1 == "(Intercept)" & !is.na(vc$var2))]
  data.frame(
    optimizer = opt,
    theta1 = th[[1]], theta2 = th[[2]], theta3 = th[[3]],
    var_intercept = tau00, var_slope = tau11, cov_intercept_slope = tau01,
    sd_intercept = sqrt(tau00), sd_slope = sqrt(tau11), corr = tau01 / sqrt(tau00 * tau11),
    var_treated = tau00 + 2 * tau01 + tau11,
    sigma2 = sigma(m)^2,
    reml_criterion = unname(REMLcrit(m)),
    b_intercept = fixef(m)[["(Intercept)"]], b_intervention = fixef(m)[["intervention"]],
    b_ses = fixef(m)[["ses"]], b_intervention_ses = fixef(m)[["intervention:ses"]],
    # lme4's convergence warnings, if any (";"-separated); they differ between optimizers.
    lme4_messages = gsub("\\s+", " ", paste(m@optinfo$conv$lme4$messages, collapse = "; "))
  )
})
optimizers <- do.call(rbind, rows)
write.csv(optimizers, file.path(out, "optimizers.csv"), row.names = FALSE)

# Per-classroom OLS (lme4::lmList), the reference for hlmtutor.per_group_ols().
data$ses_cwc <- data$ses - ave(data$ses, data$classroom_id)
ols <- coef(lmList(math_score ~ ses_cwc | classroom_id, data = data))
write.csv(data.frame(classroom_id = as.integer(rownames(ols)), intercept = ols[, 1], ses_cwc = ols[, 2]),
          file.path(out, "per_group_ols.csv"), row.names = FALSE)

# Likelihood-ratio test of the random intercept (ML refits, as anova() does) for the boundary mixture.
m0 <- lm(math_score ~ 1, data = data)
m1 <- lmer(math_score ~ 1 + (1 | classroom_id), data = data, REML = FALSE)
lrt <- as.numeric(2 * (logLik(m1) - logLik(m0)))
write.csv(data.frame(statistic = lrt, p_naive = pchisq(lrt, 1, lower.tail = FALSE),
                     p_mixture = 0.5 * pchisq(lrt, 1, lower.tail = FALSE)),
          file.path(out, "lrt_intercept.csv"), row.names = FALSE)
writeLines(c(paste("R", getRversion()), paste("lme4", packageVersion("lme4"))),
           file.path(out, "versions.txt"))

# High School and Beyond (chapter 11): Raudenbush & Bryk's chapter-4 sequence fitted with lme4 (REML).
students <- read.csv("../shared/data/hsb_students.csv")
schools <- read.csv("../shared/data/hsb_schools.csv")
hsb <- merge(students, schools[, c("School", "Sector")], by = "School")
hsb$ses_cwc <- hsb$SES - ave(hsb$SES, hsb$School)  # SES centered on the school's sample mean
hsb$sector <- as.numeric(hsb$Sector == "Catholic")
hsb_models <- list(
  anova = MathAch ~ 1 + (1 | School),
  means_as_outcomes = MathAch ~ MEANSES + (1 | School),
  random_coefficients = MathAch ~ ses_cwc + (1 + ses_cwc | School),
  intercepts_slopes_as_outcomes =
    MathAch ~ MEANSES + sector + ses_cwc + MEANSES:ses_cwc + sector:ses_cwc + (1 + ses_cwc | School)
)
hsb_rows <- lapply(names(hsb_models), function(name) {
  m <- lmer(hsb_models[[name]], data = hsb)
  fe <- summary(m)$coefficients
  vc <- as.data.frame(VarCorr(m))
  comps <- data.frame(
    model = name,
    parameter = ifelse(is.na(vc$var1), "sigma2",
                       ifelse(is.na(vc$var2), paste0("var(", vc$var1, ")"),
                              paste0("cov(", vc$var1, ",", vc$var2, ")"))),
    estimate = vc$vcov, se = NA_real_
  )
  rbind(data.frame(model = name, parameter = rownames(fe), estimate = fe[, "Estimate"],
                   se = fe[, "Std. Error"]),
        comps,
        data.frame(model = name, parameter = "REML criterion", estimate = REMLcrit(m), se = NA_real_))
})
write.csv(do.call(rbind, hsb_rows), file.path(out, "hsb_lme4.csv"), row.names = FALSE)

# Fixed-effect intervals of the guide's null and supported models (tests of hlmtutor.fixef_intervals):
# t intervals with lmerTest's Satterthwaite df, and lme4's Wald z intervals.
suppressMessages(library(lmerTest))
data$ses_cm <- ave(data$ses, data$classroom_id)
data$ses_cm_gmc <- data$ses_cm - mean(data$ses_cm[!duplicated(data$classroom_id)])
interval_rows <- lapply(list(
  null = math_score ~ 1 + (1 | classroom_id),
  supported = math_score ~ intervention + ses_cwc + ses_cm_gmc + intervention:ses_cwc + (1 | classroom_id)
), function(f) {
  m <- lmerTest::lmer(f, data = data)
  co <- summary(m)$coefficients
  wald <- confint(m, method = "Wald", parm = "beta_")
  data.frame(term = rownames(co), estimate = co[, "Estimate"], se = co[, "Std. Error"], df = co[, "df"],
             t_lower = co[, "Estimate"] - qt(0.975, co[, "df"]) * co[, "Std. Error"],
             t_upper = co[, "Estimate"] + qt(0.975, co[, "df"]) * co[, "Std. Error"],
             p_t = co[, "Pr(>|t|)"], z_lower = wald[, 1], z_upper = wald[, 2])
})
intervals <- cbind(model = rep(c("null", "supported"), sapply(interval_rows, nrow)), do.call(rbind, interval_rows))
write.csv(intervals, file.path(out, "fixef_intervals.csv"), row.names = FALSE)
