# Reference values for tests/test_glmer_reference.py and tests/test_lmer_weights_reference.py:
# lme4 glmer fits (binomial with every response form, logit/probit/cloglog, Laplace, adaptive
# Gauss-Hermite and nAGQ = 0, random slopes, nested and crossed factors; Poisson with offsets,
# several factors and an observation-level random effect) and lmer fits with weights= and offsets,
# written to tests/reference/glmer/. Run from the repository root: Rscript tests/reference/glmer.R
#
# As in engine.R, every data set is written to CSV first (numbers with 17 significant digits) and
# every model is fitted to the data AS READ BACK, so R and Python fit the same numbers. Columns
# that are factors in R's packages are written as text; where their labels look like numbers
# (cbpp's period, grouseticks' YEAR) the formula says factor(...), so that a reader of the CSV
# fits the same model. Grouping factors are made factors with factor() (R's default level order).
suppressMessages({library(lme4); library(lmerTest); library(mlmRev); library(MASS)})
out <- "tests/reference/glmer"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
options(width = 80)  # R's default console width: the summary text depends on it

source("tests/reference/_write.R")  # num17, wcsv, write_data, catch

# -- glmer -------------------------------------------------------------------------------------
index <- data.frame()
fits <- list()

# family: "binomial" or "poisson"; link: "" for the default; weights, offset: a column name or ""
# (offset = is given as a column of the data, as a user of the Python side passes data[column])
fit_glmer <- function(name, formula, data_name, data_file, family = "binomial", link = "",
                      nAGQ = 1L, weights = "", offset = "") {
  fam <- if (link == "") as.name(family) else call(family, link = link)
  cl <- call("glmer", str2lang(formula), data = as.name(data_name), family = fam)
  if (weights != "") cl$weights <- as.name(weights)
  if (offset != "") cl$offset <- as.name(offset)
  if (nAGQ != 1L) cl$nAGQ <- nAGQ
  res <- catch(eval(cl, globalenv()))
  m <- res$value
  writeLines(res$messages, file.path(out, paste0(name, "_messages.txt")))
  index <<- rbind(index, data.frame(
    name = name, data_file = data_file, formula = formula, family = family,
    link = if (link == "") family(m)$link else link, nAGQ = nAGQ, weights = weights,
    offset = offset, data_name = data_name))
  fits[[name]] <<- m
  dump_glmer(m, name)
  invisible(m)
}

dump_glmer <- function(m, name) {
  p <- function(suffix) paste0(name, suffix)
  dump_tables(m, name)
  conv <- m@optinfo$conv$lme4$messages
  wcsv(data.frame(
    nobs = nobs(m),
    logLik = as.numeric(logLik(m)),
    AIC = AIC(m),
    BIC = BIC(m),
    deviance = deviance(m),            # glmer: the sum of squared deviance residuals + penalty
    minus2logLik = -2 * as.numeric(logLik(m)),  # the "deviance" column of summary() and anova()
    df.resid = df.residual(m),
    isSingular = isSingular(m),
    nfixef = length(fixef(m)),
    npar = attr(logLik(m), "df"),
    n_dropped = length(attr(model.frame(m), "na.action")),
    feval = if (is.null(m@optinfo$feval)) NA_integer_ else as.integer(m@optinfo$feval),
    optimizer = paste(m@optinfo$optimizer, collapse = ", "),
    nAGQ = m@devcomp$dims[["nAGQ"]],
    conv_messages = if (is.null(conv)) "" else paste(gsub("\n", " ", conv), collapse = "; ")
  ), p("_scalars.csv"))
  # per observation: fitted on both scales, the three residuals lme4 prints
  wcsv(data.frame(
    row = seq_len(nobs(m)),
    fitted_link = unname(predict(m, type = "link")),
    fitted_response = unname(fitted(m)),
    resid_deviance = unname(residuals(m, type = "deviance")),
    resid_pearson = unname(residuals(m, type = "pearson")),
    resid_response = unname(residuals(m, type = "response"))
  ), p("_obs.csv"))
  ci <- confint(m, method = "Wald", oldNames = TRUE)
  wcsv(data.frame(term = rownames(ci), ci, check.names = FALSE), p("_confint_wald.csv"))
}

write_profile <- function(m, name) {  # call last for m: see the end of the glmer part
  ci <- catch(confint(m, method = "profile", oldNames = TRUE))
  wcsv(data.frame(term = rownames(ci$value), ci$value, check.names = FALSE),
       paste0(name, "_confint_profile.csv"))
  writeLines(ci$messages, file.path(out, paste0(name, "_confint_profile_messages.txt")))
}

# predictions: three rows of the data, and the first row again with every grouping factor at a
# level the fit did not see (a number where the column holds numbers, so the column keeps its type)
write_predict <- function(m, name, data) {
  rows <- data[c(1, nrow(data) %/% 2, nrow(data), 1), , drop = FALSE]
  for (g in names(ngrps(m))) {
    for (v in strsplit(g, ":", fixed = TRUE)[[1]]) {
      if (v %in% names(rows)) {
        rows[[v]] <- as.character(rows[[v]])
        rows[[v]][4] <- if (is.numeric(data[[v]]) ||
                            !anyNA(suppressWarnings(as.numeric(as.character(data[[v]])))))
          "99999" else "unseen"
      }
    }
  }
  file <- paste0(name, "_newdata.csv")
  wcsv(rows, file)
  nd <- read.csv(file.path(out, file), stringsAsFactors = FALSE)
  wcsv(data.frame(
    row = seq_len(nrow(nd)),
    link = unname(predict(m, newdata = nd, re.form = NULL, allow.new.levels = TRUE)),
    response = unname(predict(m, newdata = nd, re.form = NULL, allow.new.levels = TRUE,
                              type = "response")),
    link_fixed = unname(predict(m, newdata = nd, re.form = NA)),
    response_fixed = unname(predict(m, newdata = nd, re.form = NA, type = "response"))
  ), paste0(name, "_predict.csv"))
  e <- tryCatch({predict(m, newdata = nd); NULL}, error = function(e) conditionMessage(e))
  stopifnot(!is.null(e))
  writeLines(e, file.path(out, paste0(name, "_predict_error.txt")))
}

write_lrt <- function(name0, name1, file) {
  # called with the fits' names, as a user types anova(cbpp_null, cbpp_cbind): rows named so
  lrt <- catch(eval(call("anova", as.name(name0), as.name(name1)), globalenv()))
  wcsv(data.frame(model = rownames(lrt$value), lrt$value, check.names = FALSE), file)
}

# -- cbpp: contagious bovine pleuropneumonia, 56 herd-periods (lme4) ----------------------------
cb <- lme4::cbpp
cb$herd <- as.integer(as.character(cb$herd))
cb$period <- as.integer(as.character(cb$period))
cb$failures <- cb$size - cb$incidence
cb$prop <- cb$incidence / cb$size
cbpp <- write_data(cb, "cbpp.csv", factors = "herd")
CB <- function(name, formula, ...) fit_glmer(name, formula, "cbpp", "cbpp.csv", ...)
cbpp_cbind <- CB("cbpp_cbind", "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)")
cbpp_prop <- CB("cbpp_prop", "prop ~ factor(period) + (1 | herd)", weights = "size")
CB("cbpp_failures", "cbind(incidence, failures) ~ factor(period) + (1 | herd)")
cbpp_null <- CB("cbpp_null", "cbind(incidence, size - incidence) ~ 1 + (1 | herd)")
CB("cbpp_probit", "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)",
   link = "probit")
CB("cbpp_cloglog", "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)",
   link = "cloglog")
CB("cbpp_agq", "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)", nAGQ = 9L)
CB("cbpp_nagq0", "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)", nAGQ = 0L)
# the same model as cbind and as a proportion with weights = trials: one fit
stopifnot(all.equal(logLik(cbpp_cbind), logLik(cbpp_prop), tolerance = 1e-6),
          all.equal(fixef(cbpp_cbind), fixef(cbpp_prop), tolerance = 1e-4))
write_predict(cbpp_cbind, "cbpp_cbind", cbpp)
write_predict(cbpp_prop, "cbpp_prop", cbpp)
write_lrt("cbpp_null", "cbpp_cbind", "cbpp_lrt_anova.csv")

# -- Contraception: 1,934 women in 60 districts (mlmRev); a two-level factor and 0/1 numbers ----
co <- mlmRev::Contraception[, c("woman", "district", "use", "livch", "age", "urban")]
co$woman <- as.integer(as.character(co$woman))
co$district <- as.integer(as.character(co$district))
co$use01 <- as.integer(co$use == "Y")
Contraception <- write_data(co, "Contraception.csv", factors = c("district", "use"))
CO <- function(name, formula, ...) fit_glmer(name, formula, "Contraception",
                                             "Contraception.csv", ...)
# lme4's classic non-convergence (a quadratic age term): gradient and eigenvalue warnings
contra_quad <- CO("contra_quad", "use ~ age + I(age^2) + urban + livch + (1 | district)")
contra_slope <- CO("contra_slope", "use01 ~ age + urban + (urban | district)")
CO("contra_nagq0", "use ~ age + urban + livch + (1 | district)", nAGQ = 0L)
write_predict(contra_slope, "contra_slope", Contraception)

# -- bacteria: H. influenzae in 50 children, 220 checks (MASS); AGQ -------------------------------
ba <- MASS::bacteria
ba$late <- as.integer(ba$week > 2)  # MASS's I(week > 2), as a column
bacteria <- write_data(ba, "bacteria.csv", factors = c("y", "ID"))
bacteria_agq <- fit_glmer("bacteria_agq", "y ~ trt + late + (1 | ID)", "bacteria",
                          "bacteria.csv", nAGQ = 12L)
fit_glmer("bacteria_laplace", "y ~ trt + late + (1 | ID)", "bacteria", "bacteria.csv")

# -- guImmun: 2,159 children of 1,595 mothers in 161 communities (mlmRev); nested ----------------
gu <- mlmRev::guImmun[, c("kid", "mom", "comm", "immun", "kid2p", "mom25p", "ord", "ethn")]
for (v in c("kid", "mom", "comm")) gu[[v]] <- as.integer(as.character(gu[[v]]))
guImmun <- write_data(gu, "guImmun.csv", factors = c("mom", "comm", "immun"))
fit_glmer("guimmun_nested", "immun ~ kid2p + mom25p + ord + ethn + (1 | comm/mom)", "guImmun",
          "guImmun.csv")

# -- simulated: a binary outcome with a random slope (1 + x | g), 0/1 numbers --------------------
set.seed(20261206)
n_g <- 80
size <- sample(6:18, n_g, replace = TRUE)
gi <- rep(seq_len(n_g), size)
n <- length(gi)
x <- rnorm(n)
w <- rnorm(n_g)[gi]
u0 <- rnorm(n_g, 0, 1)
u1 <- 0.3 * u0 + rnorm(n_g, 0, 0.6)
eta <- -0.4 + 0.8 * x + 0.5 * w + u0[gi] + u1[gi] * x
slope <- data.frame(pass = rbinom(n, 1, plogis(eta)), x = x, w = w, g = sprintf("g%02d", gi))
slope$x[sample(n, 5)] <- NA  # rows dropped as lme4 drops them
slopes <- write_data(slope, "slopes.csv", factors = "g")
slope_fit <- fit_glmer("sim_slope", "pass ~ x + w + (1 + x | g)", "slopes", "slopes.csv")
fit_glmer("sim_slope_diag", "pass ~ x + w + (x || g)", "slopes", "slopes.csv")
write_predict(slope_fit, "sim_slope", slopes)

# -- simulated: crossed people x items, a logical (TRUE/FALSE) outcome ---------------------------
set.seed(20261207)
n_p <- 70
n_i <- 15
cr <- expand.grid(item = seq_len(n_i), person = seq_len(n_p))
cr <- cr[sort(sample(nrow(cr), round(0.85 * nrow(cr)))), ]
cr$x <- round(rnorm(nrow(cr)), 3)
eta <- 0.3 + 0.6 * cr$x + rnorm(n_p, 0, 1.1)[cr$person] + rnorm(n_i, 0, 0.8)[cr$item]
crossed <- data.frame(correct = runif(nrow(cr)) < plogis(eta), x = cr$x,
                      person = sprintf("p%03d", cr$person), item = sprintf("i%02d", cr$item))
crossed <- write_data(crossed, "crossed.csv", factors = c("person", "item"))
crossed_fit <- fit_glmer("sim_crossed", "correct ~ x + (1 | person) + (1 | item)", "crossed",
                         "crossed.csv")
write_predict(crossed_fit, "sim_crossed", crossed)

# -- simulated: no group variation at all, so the fit is singular --------------------------------
set.seed(20261208)
flat <- data.frame(y = rbinom(240, 1, 0.4), x = rnorm(240), g = sprintf("c%02d", rep(1:20, 12)))
flat <- write_data(flat, "flat.csv", factors = "g")
fit_glmer("sim_singular", "y ~ x + (1 | g)", "flat", "flat.csv")

# -- grouseticks: ticks on 403 chicks in 118 broods at 63 locations (lme4); Poisson --------------
gt <- lme4::grouseticks[, c("INDEX", "TICKS", "BROOD", "YEAR", "LOCATION", "cHEIGHT")]
for (v in c("INDEX", "BROOD", "YEAR", "LOCATION")) gt[[v]] <- as.integer(as.character(gt[[v]]))
grouseticks <- write_data(gt, "grouseticks.csv", factors = c("INDEX", "BROOD", "LOCATION"))
# three factors, INDEX one level per observation (an observation-level random effect)
grouse_fit <- fit_glmer("grouse_olre", paste("TICKS ~ factor(YEAR) + cHEIGHT + (1 | BROOD) +",
                                             "(1 | INDEX) + (1 | LOCATION)"),
                        "grouseticks", "grouseticks.csv", family = "poisson")
write_predict(grouse_fit, "grouse_olre", grouseticks)

# -- epil: seizure counts of 59 patients, 4 visits (MASS); observation-level random effect -------
ep <- MASS::epil[, c("y", "trt", "lbase", "lage", "V4", "subject")]
ep$obs <- seq_len(nrow(ep))
epil <- write_data(ep, "epil.csv", factors = c("subject", "obs"))
EP <- function(name, formula) fit_glmer(name, formula, "epil", "epil.csv", family = "poisson")
epil_subject <- EP("epil_subject", "y ~ lbase * trt + lage + V4 + (1 | subject)")
epil_olre <- EP("epil_olre", "y ~ lbase * trt + lage + V4 + (1 | subject) + (1 | obs)")
write_lrt("epil_subject", "epil_olre", "epil_lrt_anova.csv")
write_predict(epil_subject, "epil_subject", epil)

# -- Mmmec: melanoma deaths in 354 counties of 78 regions of 9 nations (mlmRev); offsets ----------
mm <- mlmRev::Mmmec[, c("nation", "region", "county", "deaths", "expected", "uvb")]
mm$nation <- as.character(mm$nation)
for (v in c("region", "county")) mm[[v]] <- as.integer(as.character(mm[[v]]))
mm$log_expected <- log(mm$expected)
Mmmec <- write_data(mm, "Mmmec.csv", factors = c("nation", "region"))
MM <- function(name, formula, ...) fit_glmer(name, formula, "Mmmec", "Mmmec.csv",
                                             family = "poisson", ...)
mmmec_formula <- MM("mmmec_offset_formula",
                    "deaths ~ uvb + offset(log(expected)) + (1 | nation/region)")
mmmec_arg <- MM("mmmec_offset_arg", "deaths ~ uvb + (1 | nation/region)",
                offset = "log_expected")
stopifnot(all.equal(logLik(mmmec_formula), logLik(mmmec_arg), tolerance = 1e-6))
# predict(newdata) uses offset() terms of the formula, but lme4 1.1-31 leaves out an offset =
# argument on new data; so predictions on new data are written for the formula's offset only
write_predict(mmmec_formula, "mmmec_offset_formula", Mmmec)

# -- simulated: Poisson rates with an exposure offset and a random slope --------------------------
set.seed(20261209)
n_g <- 60
size <- sample(5:15, n_g, replace = TRUE)
gi <- rep(seq_len(n_g), size)
n <- length(gi)
x <- rnorm(n)
exposure <- round(runif(n, 0.5, 4), 2)
eta <- log(exposure) + 0.5 + 0.3 * x + rnorm(n_g, 0, 0.5)[gi] + rnorm(n_g, 0, 0.25)[gi] * x
rates <- data.frame(events = rpois(n, exp(eta)), x = x, exposure = exposure,
                    clinic = sprintf("k%02d", gi))
rates <- write_data(rates, "rates.csv", factors = "clinic")
rates_fit <- fit_glmer("sim_rates", "events ~ x + offset(log(exposure)) + (1 + x | clinic)",
                       "rates", "rates.csv", family = "poisson")
write_predict(rates_fit, "sim_rates", rates)

wcsv(index, "models.csv")

# Profiles last: lme4's profile() leaves the fit's internal state (its pp and resp reference
# objects) at the last profiled point, so predict(m, newdata) after it is not the fit's
# prediction any more. Everything else of these fits was written above.
# sim_rates: a vector-valued term (1 + x | clinic), profiled over its SDs and correlation
for (name in c("cbpp_cbind", "bacteria_agq", "mmmec_offset_formula", "sim_rates")) {
  write_profile(fits[[name]], name)
}

# -- lmer with weights= and offsets ------------------------------------------------------------
lmer_index <- data.frame()
fit_lmer <- function(name, formula, data_name, data_file, REML = TRUE, weights = "",
                     offset = "") {
  cl <- call("lmer", str2lang(formula), data = as.name(data_name), REML = REML)
  if (weights != "") cl$weights <- as.name(weights)
  if (offset != "") cl$offset <- as.name(offset)
  res <- catch(eval(cl, globalenv()))
  m <- res$value
  writeLines(res$messages, file.path(out, paste0(name, "_messages.txt")))
  lmer_index <<- rbind(lmer_index, data.frame(
    name = name, data_file = data_file, formula = formula, REML = REML, weights = weights,
    offset = offset, data_name = data_name))
  dump_tables(m, name)
  wcsv(data.frame(
    nobs = nobs(m),
    REMLcrit = if (isREML(m)) REMLcrit(m) else NA_real_,
    logLik = as.numeric(logLik(m)),
    AIC = AIC(m),
    BIC = BIC(m),
    deviance = deviance(m, REML = FALSE),
    df.resid = df.residual(m),
    sigma = sigma(m),
    isSingular = isSingular(m)
  ), paste0(name, "_scalars.csv"))
  wcsv(data.frame(row = seq_len(nobs(m)), fitted = unname(fitted(m)),
                  resid = unname(residuals(m)),
                  resid_pearson = unname(residuals(m, type = "pearson"))),
       paste0(name, "_obs.csv"))
  invisible(m)
}

# predictions of an lmer fit: on its own rows without random effects (re.form = NA: X beta plus
# every offset, the formula's and offset ='s), and on three of its rows as newdata with and
# without random effects (there lme4 adds the formula's offset() terms only)
write_lmer_predict <- function(m, name, data) {
  file <- paste0(name, "_newdata.csv")
  wcsv(data[c(1, nrow(data) %/% 2, nrow(data)), , drop = FALSE], file)
  nd <- read.csv(file.path(out, file), stringsAsFactors = FALSE)
  wcsv(data.frame(row = seq_len(nobs(m)), fixed = unname(predict(m, re.form = NA))),
       paste0(name, "_predict_fixed.csv"))
  wcsv(data.frame(row = seq_len(nrow(nd)),
                  with_re = unname(predict(m, newdata = nd, re.form = NULL)),
                  fixed = unname(predict(m, newdata = nd, re.form = NA))),
       paste0(name, "_predict.csv"))
}

set.seed(20261210)
ss <- lme4::sleepstudy
ss$w <- sample(1:4, nrow(ss), replace = TRUE)     # e.g. each reaction time a mean of w trials
ss$w_frac <- round(runif(nrow(ss), 0.2, 3), 3)
ss$base <- 250 + 5 * ss$Days                       # a known part of the mean, as an offset
sleepstudy <- write_data(ss, "sleepstudy.csv", factors = "Subject")
SL <- function(name, formula, ...) fit_lmer(name, formula, "sleepstudy", "sleepstudy.csv", ...)
SL("lmer_weights", "Reaction ~ Days + (Days | Subject)", weights = "w")
SL("lmer_weights_ml", "Reaction ~ Days + (Days | Subject)", REML = FALSE, weights = "w_frac")
lmer_offset_formula <- SL("lmer_offset_formula", "Reaction ~ Days + offset(base) + (1 | Subject)")
lmer_offset_arg <- SL("lmer_offset_arg", "Reaction ~ Days + (1 | Subject)", offset = "base")
lmer_weights_offset <- SL("lmer_weights_offset",
                          "Reaction ~ Days + offset(base) + (Days | Subject)", weights = "w")
write_lmer_predict(lmer_offset_formula, "lmer_offset_formula", sleepstudy)
write_lmer_predict(lmer_offset_arg, "lmer_offset_arg", sleepstudy)
write_lmer_predict(lmer_weights_offset, "lmer_weights_offset", sleepstudy)
pen <- lme4::Penicillin
set.seed(20261211)
pen$reps <- sample(1:3, nrow(pen), replace = TRUE)
Penicillin <- write_data(pen, "Penicillin.csv", factors = c("plate", "sample"))
fit_lmer("lmer_weights_crossed", "diameter ~ 1 + (1 | plate) + (1 | sample)", "Penicillin",
         "Penicillin.csv", weights = "reps")
wcsv(lmer_index, "lmer_models.csv")

wcsv(data.frame(package = c("R", "lme4", "lmerTest", "Matrix", "MASS", "mlmRev"),
                version = c(R.version.string, as.character(packageVersion("lme4")),
                            as.character(packageVersion("lmerTest")),
                            as.character(packageVersion("Matrix")),
                            as.character(packageVersion("MASS")),
                            as.character(packageVersion("mlmRev")))),
     "versions.csv")
