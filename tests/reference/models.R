# Reference values for tests/test_models.py: lme4 1.1-31 + lmerTest 3.1-3 fits written to
# tests/reference/models/. Run from the repository root: Rscript tests/reference/models.R
suppressMessages({library(lme4); library(lmerTest)})
out <- "tests/reference/models"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
options(width = 80)  # R's default console width: the summary text depends on it

wcsv <- function(x, name, ...) write.csv(x, file.path(out, name), ...)

dump_fit <- function(m, name) {
  s <- summary(m)
  coefs <- as.data.frame(s$coefficients)
  wcsv(data.frame(term = rownames(coefs), coefs, check.names = FALSE), paste0(name, "_fixef.csv"),
       row.names = FALSE)
  vc <- as.data.frame(VarCorr(m))
  wcsv(vc, paste0(name, "_varcorr.csv"), row.names = FALSE)
  reml <- isREML(m)
  scalars <- data.frame(
    REML = reml,
    reml_criterion = if (reml) REMLcrit(m) else NA,
    sigma = sigma(m),
    loglik = as.numeric(logLik(m)),
    aic = AIC(m),
    bic = BIC(m),
    deviance = deviance(m, REML = FALSE),
    nobs = nobs(m),
    ngroups = as.numeric(ngrps(m)),
    singular = isSingular(m),
    n_dropped = length(attr(model.frame(m), "na.action")),
    df_resid = df.residual(m)
  )
  wcsv(scalars, paste0(name, "_scalars.csv"), row.names = FALSE)
  wcsv(data.frame(theta = getME(m, "theta")), paste0(name, "_theta.csv"), row.names = FALSE)
  wcsv(as.matrix(vcov(m)), paste0(name, "_vcov.csv"))
  wcsv(cov2cor(as.matrix(vcov(m))), paste0(name, "_corr.csv"))
  q <- quantile(residuals(m, scaled = TRUE))
  wcsv(data.frame(stat = c("Min", "1Q", "Median", "3Q", "Max"), value = unname(q)),
       paste0(name, "_scaled_resid.csv"), row.names = FALSE)
  re <- ranef(m, condVar = TRUE)[[1]]
  cv <- attr(re, "postVar")
  sds <- t(apply(cv, 3, function(v) sqrt(diag(as.matrix(v)))))
  if (ncol(re) == 1) sds <- t(sds)
  colnames(sds) <- colnames(re)
  wcsv(data.frame(level = rownames(re), re, check.names = FALSE), paste0(name, "_ranef.csv"),
       row.names = FALSE)
  wcsv(data.frame(level = rownames(re), sds, check.names = FALSE), paste0(name, "_ranef_sd.csv"),
       row.names = FALSE)
  cf <- coef(m)[[1]]
  wcsv(data.frame(level = rownames(cf), cf, check.names = FALSE), paste0(name, "_coef.csv"),
       row.names = FALSE)
  ci <- confint(m, method = "Wald")
  wcsv(data.frame(term = rownames(ci), ci, check.names = FALSE), paste0(name, "_confint_wald.csv"),
       row.names = FALSE)
  writeLines(capture.output(print(s)), file.path(out, paste0(name, "_summary.txt")))
  invisible(m)
}

# The guide's data, built exactly as the guide builds it.
source("tests/reference/guide_simulation.R")
wcsv(data, "guide_data.csv", row.names = FALSE)

null_model <- lmer(math_score ~ 1 + (1 | classroom_id), data = data)
dump_fit(null_model, "guide_null")
full_model <- lmer(math_score ~ intervention + ses + intervention*ses + (1 + intervention | classroom_id),
                   data = data)
dump_fit(full_model, "guide_full")
vc <- VarCorr(full_model)$classroom_id
treated <- vc[1, 1] + 2 * vc[1, 2] + vc[2, 2]
wcsv(data.frame(intervention = c(0, 1), variance = c(vc[1, 1], treated)),
     "guide_full_identified.csv", row.names = FALSE)
ci <- suppressMessages(confint(null_model, method = "profile"))
wcsv(data.frame(term = rownames(ci), ci, check.names = FALSE), "guide_null_confint_profile.csv",
     row.names = FALSE)

# High School and Beyond, from the package's own CSVs so that both sides see the same data.
students <- read.csv("hlmtutor/data/hsb_students.csv")
schools <- read.csv("hlmtutor/data/hsb_schools.csv")
hsb <- merge(students, schools[, c("School", "Sector")], by = "School", sort = FALSE)
hsb <- hsb[order(match(hsb$School, unique(students$School))), ]
hsb$ses_c <- hsb$SES - ave(hsb$SES, hsb$School)
dump_fit(lmer(MathAch ~ 1 + (1 | School), data = hsb), "hsb_null")
hsb_means <- lmer(MathAch ~ MEANSES + (1 | School), data = hsb)
dump_fit(hsb_means, "hsb_means")
ci <- suppressMessages(confint(hsb_means, method = "profile", level = 0.9))
wcsv(data.frame(term = rownames(ci), ci, check.names = FALSE), "hsb_means_confint_profile.csv",
     row.names = FALSE)
dump_fit(lmer(MathAch ~ ses_c + (ses_c | School), data = hsb), "hsb_random_coef")
dump_fit(lmer(MathAch ~ MEANSES + Sector + ses_c + MEANSES:ses_c + Sector:ses_c + (ses_c | School),
              data = hsb), "hsb_slopes")

# Data of our own: unbalanced groups, missing values, categorical predictors.
set.seed(20261125)
n_groups <- 30
sizes <- sample(3:25, n_groups, replace = TRUE)
g <- sprintf("s%02d", rep(seq_len(n_groups), sizes))
n <- length(g)
x <- rnorm(n)
sex <- sample(c("F", "M"), n, replace = TRUE)
grp3 <- sample(c("low", "mid", "high"), n, replace = TRUE)
u0 <- rnorm(n_groups, 0, 1.5)
u1 <- rnorm(n_groups, 0, 0.5)
gi <- rep(seq_len(n_groups), sizes)
y <- 10 + 2 * x + 0.8 * (sex == "M") + c(high = 0.5, low = 0, mid = -0.3)[grp3] +
  u0[gi] + u1[gi] * x + rnorm(n, 0, 2)
y[sample(n, 5)] <- NA
x[sample(n, 3)] <- NA
e <- rnorm(n)
flat <- 5 + e - ave(e, gi)  # every group mean is 5: the group variance is estimated at 0
own <- data.frame(y = unname(y), x, sex, grp3, g, flat, flag = x > 0.5)
wcsv(own, "own_data.csv", row.names = FALSE)
dump_fit(lmer(y ~ x + sex + grp3 + (1 | g), data = own), "own_ri")
dump_fit(lmer(y ~ x * sex + grp3 + (1 + x | g), data = own), "own_rs")
dump_fit(lmer(y ~ 0 + sex + x + (0 + x | g), data = own), "own_noint")
dump_fit(lmer(y ~ sex:x + x + (x | g), data = own), "own_order")
dump_fit(lmer(flat ~ 1 + (1 | g), data = own), "own_singular")
dump_fit(lmer(y ~ sex * grp3 + flag + (1 + sex | g), data = own), "own_factors")
dump_fit(lmer(y ~ x + sex + (1 + x + sex | g), data = own), "own_q3")
ml0 <- lmer(y ~ x + (1 | g), data = own, REML = FALSE)
ml1 <- lmer(y ~ x + sex + (1 + x | g), data = own, REML = FALSE)
dump_fit(ml0, "own_ml0")
dump_fit(ml1, "own_ml1")
a <- anova(ml0, ml1)
wcsv(data.frame(model = rownames(a), a, check.names = FALSE), "own_anova_ml.csv", row.names = FALSE)
r0 <- lmer(y ~ x + (1 | g), data = own)
r1 <- lmer(y ~ x + sex + grp3 + (1 + x | g), data = own)
a <- suppressMessages(anova(r1, r0))
wcsv(data.frame(model = rownames(a), a, check.names = FALSE), "own_anova_reml.csv",
     row.names = FALSE)

# R's order of factor levels (ICU collation): case- and accent-insensitive first.
levels_in <- c("b", "B", "a", "A", "a_b", "a1", "a.b", "A2", "ab", "Ab", "10", "9", "_x", "x y",
               "Public", "Catholic", "high", "low", "mid", "Mid", "s01", "S02", "e", "f")
wcsv(data.frame(level = levels(factor(levels_in))), "factor_levels.csv", row.names = FALSE)

wcsv(data.frame(package = c("R", "lme4", "lmerTest"),
                version = c(R.version.string, as.character(packageVersion("lme4")),
                            as.character(packageVersion("lmerTest")))),
     "versions.csv", row.names = FALSE)
