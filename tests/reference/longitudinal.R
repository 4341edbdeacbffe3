# Reference values for tests/test_residual.py: nlme 3.1 `lme` fits with residual structures
# (corAR1 by position and by an integer time, corCAR1 with unequal times, varIdent per wave and
# per group, both together), random intercepts and slopes, REML and ML, on nlme's, lme4's and
# mlmRev's data and on simulated designs; written to tests/reference/longitudinal/.
# Run from the repository root: Rscript tests/reference/longitudinal.R
#
# As in tests/reference/engine.R, every data set is written with 17 significant digits, read
# back, and the models are fitted to what was read back, so R and Python fit the same numbers.
# Grouping factors are made factors with factor() (R's default level order), as a reader of the
# CSV gets them.
suppressMessages({library(nlme); library(lme4); library(mlmRev)})
out <- "tests/reference/longitudinal"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
options(width = 80)

source("tests/reference/_write.R")  # num17, wcsv, write_data, catch

index <- data.frame()
ctrl <- lmeControl(maxIter = 200, msMaxIter = 200, niterEM = 50, msMaxEval = 1000)

# name: the model's files; formula: the lmer formula the Python test fits; fixed, random,
# correlation, weights: the lme call; cor/cor_time/var_by: the Python structures.
fit_lme <- function(name, data_name, data_file, formula, fixed, random, correlation = NULL,
                    weights = NULL, REML = TRUE, cor = "", cor_time = "", var_by = "") {
  d <- get(data_name, globalenv())
  fit <- function(control) {
    lme(fixed, data = d, random = random, correlation = correlation, weights = weights,
        method = if (REML) "REML" else "ML", control = control)
  }
  # nlme's default optimizer (nlminb) stops with an error on some of these fits; then optim's
  # BFGS, nlme's other choice (the optimizer used is in index.csv)
  opt <- "nlminb"
  m <- tryCatch(fit(ctrl), error = function(e) NULL)
  if (is.null(m)) {
    opt <- "optim"
    m <- fit(modifyList(ctrl, list(opt = "optim")))
  }
  index <<- rbind(index, data.frame(name = name, data_file = data_file, formula = formula,
                                    REML = REML, cor = cor, cor_time = cor_time,
                                    var_by = var_by, optimizer = opt))
  s <- summary(m)
  tt <- as.data.frame(s$tTable)
  # summary.lme's SEs of an ML fit use sigma * sqrt(N / (N - p)) (adjustSigma = TRUE); vcov()
  # is sigma^2 (X'V^-1X)^-1 with the ML sigma, which is lme4's (and hlmtutor's) vcov
  wcsv(data.frame(term = rownames(tt), tt, SE_vcov = sqrt(diag(vcov(m))), check.names = FALSE),
       paste0(name, "_fixef.csv"))
  phi <- if (is.null(m$modelStruct$corStruct)) NA_real_ else
    unname(coef(m$modelStruct$corStruct, unconstrained = FALSE))
  wcsv(data.frame(logLik = as.numeric(logLik(m)), sigma = m$sigma, Phi = phi,
                  nobs = nobs(m), npar = attr(logLik(m), "df"), AIC = AIC(m), BIC = BIC(m)),
       paste0(name, "_scalars.csv"))
  if (!is.null(m$modelStruct$varStruct)) {
    r <- coef(m$modelStruct$varStruct, unconstrained = FALSE, allCoef = TRUE)
    wcsv(data.frame(stratum = names(r), ratio = unname(r)), paste0(name, "_ratios.csv"))
  }
  # random-effect SDs and correlations from D = sigma^2 * (relative D), per grouping factor
  rel <- as.matrix(m$modelStruct$reStruct)
  rows <- data.frame()
  for (g in names(rel)) {
    D <- rel[[g]] * m$sigma^2
    rows <- rbind(rows, data.frame(grp = g, var = rownames(D), sd = sqrt(diag(D)),
                                   corr_with_first = D[, 1] / sqrt(D[1, 1] * diag(D))))
  }
  wcsv(rows, paste0(name, "_resd.csv"))
  wcsv(data.frame(response = unname(residuals(m, type = "response")),
                  pearson = unname(residuals(m, type = "pearson")),
                  normalized = unname(residuals(m, type = "normalized")),
                  row = as.integer(rownames(getData(m)))),
       paste0(name, "_resid.csv"))
  writeLines(capture.output(print(s)), file.path(out, paste0(name, "_summary.txt")))
  invisible(m)
}

# -- Orthodont (nlme): AR(1) by position, varIdent per sex, CAR(1) by age with a random slope ---
o <- as.data.frame(nlme::Orthodont)
o$row <- seq_len(nrow(o))
Orthodont <- write_data(o, "Orthodont.csv", factors = c("Subject", "Sex"))
fit_lme("ortho_ar1", "Orthodont", "Orthodont.csv", "distance ~ age + Sex + (1 | Subject)",
        distance ~ age + Sex, ~ 1 | Subject, corAR1(form = ~ 1 | Subject), cor = "ar1")
fit_lme("ortho_ar1_varsex_ml", "Orthodont", "Orthodont.csv",
        "distance ~ age * Sex + (1 | Subject)", distance ~ age * Sex, ~ 1 | Subject,
        corAR1(form = ~ 1 | Subject), varIdent(form = ~ 1 | Sex), REML = FALSE, cor = "ar1",
        var_by = "Sex")
fit_lme("ortho_car1_slope", "Orthodont", "Orthodont.csv", "distance ~ age + (age | Subject)",
        distance ~ age, ~ age | Subject, corCAR1(form = ~ age | Subject), cor = "car1",
        cor_time = "age")

# -- BodyWeight (nlme): CAR(1) in days, random slopes --------------------------------------------
b <- as.data.frame(nlme::BodyWeight)
b$Time_w <- b$Time / 7  # weeks, so that the slope variance is not tiny
b$row <- seq_len(nrow(b))
BodyWeight <- write_data(b[, c("weight", "Time", "Time_w", "Rat", "Diet", "row")],
                         "BodyWeight.csv", factors = c("Rat", "Diet"))
fit_lme("bodyweight_car1", "BodyWeight", "BodyWeight.csv",
        "weight ~ Time_w * Diet + (Time_w | Rat)", weight ~ Time_w * Diet, ~ Time_w | Rat,
        corCAR1(form = ~ Time_w | Rat), cor = "car1", cor_time = "Time_w")

# -- Ovary (nlme): AR(1) by position, ML ------------------------------------------------------------
ov <- as.data.frame(nlme::Ovary)
ov$sin1 <- sin(2 * pi * ov$Time)
ov$cos1 <- cos(2 * pi * ov$Time)
ov$row <- seq_len(nrow(ov))
Ovary <- write_data(ov[, c("follicles", "Time", "sin1", "cos1", "Mare", "row")], "Ovary.csv",
                    factors = "Mare")
fit_lme("ovary_ar1_ml", "Ovary", "Ovary.csv", "follicles ~ sin1 + cos1 + (1 | Mare)",
        follicles ~ sin1 + cos1, ~ 1 | Mare, corAR1(form = ~ 1 | Mare), REML = FALSE,
        cor = "ar1")

# -- sleepstudy (lme4): AR(1) by integer day with a random slope, REML and ML ---------------------
ss <- lme4::sleepstudy
ss$row <- seq_len(nrow(ss))
sleepstudy <- write_data(ss, "sleepstudy.csv", factors = "Subject")
fit_lme("sleep_ar1_days", "sleepstudy", "sleepstudy.csv", "Reaction ~ Days + (Days | Subject)",
        Reaction ~ Days, ~ Days | Subject, corAR1(form = ~ Days | Subject), cor = "ar1",
        cor_time = "Days")
fit_lme("sleep_ar1_days_ml", "sleepstudy", "sleepstudy.csv",
        "Reaction ~ Days + (Days | Subject)", Reaction ~ Days, ~ Days | Subject,
        corAR1(form = ~ Days | Subject), REML = FALSE, cor = "ar1", cor_time = "Days")

fit_lme("sleep_diag_ar1", "sleepstudy", "sleepstudy.csv", "Reaction ~ Days + (Days || Subject)",
        Reaction ~ Days, list(Subject = pdDiag(~ Days)), corAR1(form = ~ Days | Subject),
        cor = "ar1", cor_time = "Days")

# -- Oxboys (mlmRev): AR(1) by occasion, quadratic growth with a random slope --------------------
ox <- as.data.frame(mlmRev::Oxboys)
ox$row <- seq_len(nrow(ox))
Oxboys <- write_data(ox, "Oxboys.csv", factors = "Subject")
fit_lme("oxboys_ar1", "Oxboys", "Oxboys.csv", "height ~ age + I(age^2) + (age | Subject)",
        height ~ age + I(age^2), ~ age | Subject, corAR1(form = ~ Occasion | Subject),
        cor = "ar1", cor_time = "Occasion")

# -- simulated: waves with gaps, AR(1) by wave, a residual SD per wave --------------------------
set.seed(20261206)
n_id <- 80; waves <- 0:5
sim <- expand.grid(wave = waves, id = seq_len(n_id))[, c("id", "wave")]
u0 <- rnorm(n_id, 0, 2)
sd_wave <- c(1, 1.2, 1.4, 1.6, 1.8, 2)
e <- unlist(lapply(seq_len(n_id), function(i) {
  as.numeric(arima.sim(list(ar = 0.5), n = length(waves), sd = sqrt(1 - 0.25)))
}))
sim$trt <- rep(rbinom(n_id, 1, 0.5), each = length(waves))
sim$y <- 10 + 0.8 * sim$wave - 0.5 * sim$trt * sim$wave + u0[sim$id] + e * sd_wave[sim$wave + 1]
sim <- sim[runif(nrow(sim)) > 0.15, ]  # missed waves: gaps in the integer time
sim$row <- seq_len(nrow(sim))
sim_waves <- write_data(sim, "sim_waves.csv", factors = "id")
fit_lme("sim_ar1_wave_varwave", "sim_waves", "sim_waves.csv",
        "y ~ wave * trt + (1 | id)", y ~ wave * trt, ~ 1 | id,
        corAR1(form = ~ wave | id), varIdent(form = ~ 1 | wave), cor = "ar1",
        cor_time = "wave", var_by = "wave")
fit_lme("sim_varwave_ml", "sim_waves", "sim_waves.csv", "y ~ wave * trt + (1 | id)",
        y ~ wave * trt, ~ 1 | id, NULL, varIdent(form = ~ 1 | wave), REML = FALSE,
        var_by = "wave")
fit_lme("sim_ar1_wave_ml", "sim_waves", "sim_waves.csv", "y ~ wave * trt + (1 | id)",
        y ~ wave * trt, ~ 1 | id, corAR1(form = ~ wave | id), REML = FALSE, cor = "ar1",
        cor_time = "wave")
m0 <- lme(y ~ wave * trt, data = sim_waves, random = ~ 1 | id, method = "ML", control = ctrl)
m1 <- lme(y ~ wave * trt, data = sim_waves, random = ~ 1 | id, method = "ML", control = ctrl,
          correlation = corAR1(form = ~ wave | id))
a <- anova(m0, m1)
wcsv(data.frame(model = c("m0", "m1"), df = a$df, logLik = a$logLik, L.Ratio = a$L.Ratio,
                p = a$`p-value`), "sim_anova_ar1.csv")

# -- simulated: unequal times, CAR(1), random slopes, a residual SD per group -------------------
set.seed(7)
n_id <- 60
rows <- lapply(seq_len(n_id), function(i) {
  k <- sample(4:7, 1)
  t <- sort(round(runif(k, 0, 10), 2))
  t <- t[!duplicated(t)]
  data.frame(id = i, t = t)
})
car <- do.call(rbind, rows)
car$group <- ifelse(car$id %% 2 == 0, "treated", "control")
b0 <- rnorm(n_id, 0, 1.5); b1 <- rnorm(n_id, 0, 0.3)
car$e <- NA_real_
for (i in seq_len(n_id)) {
  w <- which(car$id == i); t <- car$t[w]
  C <- 0.7^abs(outer(t, t, "-"))
  car$e[w] <- drop(t(chol(C)) %*% rnorm(length(t)))
}
car$y <- 5 + 0.4 * car$t + b0[car$id] + b1[car$id] * car$t +
  car$e * ifelse(car$group == "treated", 1.6, 1)
car$e <- NULL
car$row <- seq_len(nrow(car))
sim_car <- write_data(car, "sim_car.csv", factors = "id")
fit_lme("sim_car1_slope_ml", "sim_car", "sim_car.csv", "y ~ t + (t | id)", y ~ t, ~ t | id,
        corCAR1(form = ~ t | id), REML = FALSE, cor = "car1", cor_time = "t")
fit_lme("sim_car1_vargroup", "sim_car", "sim_car.csv", "y ~ t * group + (t | id)",
        y ~ t * group, ~ t | id, corCAR1(form = ~ t | id), varIdent(form = ~ 1 | group),
        cor = "car1", cor_time = "t", var_by = "group")
fit_lme("sim_vargroup_slope", "sim_car", "sim_car.csv", "y ~ t * group + (t | id)",
        y ~ t * group, ~ t | id, NULL, varIdent(form = ~ 1 | group), var_by = "group")

# -- simulated three levels: occasions in persons in schools, AR(1) within a person --------------
set.seed(11)
n_school <- 12; per_school <- 8; n_occ <- 5
three <- expand.grid(occ = 0:(n_occ - 1), person = seq_len(per_school),
                     school = seq_len(n_school))[, c("school", "person", "occ")]
three$pid <- paste(three$school, three$person, sep = "_")
s0 <- rnorm(n_school, 0, 1); p0 <- rnorm(n_school * per_school, 0, 1.5)
e <- unlist(lapply(seq_len(n_school * per_school), function(i) {
  as.numeric(arima.sim(list(ar = 0.6), n = n_occ, sd = sqrt(1 - 0.36)))
}))
pidx <- (three$school - 1) * per_school + three$person
three$y <- 20 + 1.5 * three$occ + s0[three$school] + p0[pidx] + e
three$row <- seq_len(nrow(three))
sim_three <- write_data(three, "sim_three.csv", factors = c("school", "pid"))
fit_lme("sim_three_ar1", "sim_three", "sim_three.csv", "y ~ occ + (1 | school/pid)",
        y ~ occ, ~ 1 | school/pid, corAR1(form = ~ 1 | school/pid), cor = "ar1")

write.csv(index, file.path(out, "index.csv"), row.names = FALSE)
writeLines(c(R.version.string, paste("nlme", packageVersion("nlme"))),
           file.path(out, "versions.txt"))
