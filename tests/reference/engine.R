# Reference values for tests/test_engine.py: lme4 1.1-31 + lmerTest 3.1-3 fits of models with any
# number of grouping factors (nested, crossed, three levels, `||`, several terms on one factor),
# transformed terms, a rank-deficient X, large means, ML and REML, written to
# tests/reference/engine/. Run from the repository root: Rscript tests/reference/engine.R
#
# Every data set is written to CSV first (numbers with 17 significant digits, which read back to
# the same double in R and in Python) and every model is fitted to the data AS READ BACK
# from that CSV, so R and Python fit exactly the same numbers. Grouping factors and categorical
# predictors are made factors with factor() (R's default level order), which is what a reader of
# the CSV gets; so ScotsSec's `sex` has levels F, M here (mlmRev stores M, F).
suppressMessages({library(lme4); library(lmerTest); library(mlmRev)})
out <- "tests/reference/engine"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
options(width = 80)  # R's default console width: the summary text depends on it

source("tests/reference/_write.R")  # num17, wcsv, write_data, catch

# -- fitting ---------------------------------------------------------------------------------

index <- data.frame()
fits <- list()

fit_model <- function(name, formula, data_name, data_file, REML = TRUE) {
  # the call as a user would type it, so that summary() prints "Data: <data_name>"
  cl <- call("lmer", str2lang(formula), data = as.name(data_name), REML = REML)
  res <- catch(eval(cl, globalenv()))
  m <- res$value
  writeLines(res$messages, file.path(out, paste0(name, "_messages.txt")))
  index <<- rbind(index, data.frame(name = name, data_file = data_file, formula = formula,
                                    REML = REML, data_name = data_name))
  fits[[name]] <<- m
  dump_fit(m, name)
  invisible(m)
}

dump_fit <- function(m, name) {
  dump_tables(m, name)  # _fixef, _vc, _vcov, _theta, _ngrps, _ranef, _summary (_write.R)
  p <- function(suffix) paste0(name, suffix)
  reml <- isREML(m)
  conv <- m@optinfo$conv$lme4$messages
  wcsv(data.frame(
    nobs = nobs(m),
    isREML = reml,  # FALSE for y ~ 0 + ...: lme4 fits REML with p = 0 fixed effects, i.e. ML
    REMLcrit = if (reml) REMLcrit(m) else NA_real_,
    logLik = as.numeric(logLik(m)),
    AIC = AIC(m),
    BIC = BIC(m),
    deviance = deviance(m, REML = FALSE),
    df.resid = df.residual(m),
    sigma = sigma(m),
    isSingular = isSingular(m),
    nfixef = length(fixef(m)),
    npar = attr(logLik(m), "df"),
    n_dropped = length(attr(model.frame(m), "na.action")),
    feval = if (is.null(m@optinfo$feval)) NA_integer_ else as.integer(m@optinfo$feval),
    optimizer = m@optinfo$optimizer,
    conv_messages = if (is.null(conv)) "" else paste(conv, collapse = "; ")
  ), p("_scalars.csv"))
  if (length(fixef(m)) > 0 && !identical(names(fixef(m)), "(Intercept)")) {
    a <- anova(m, type = "III", ddf = "Satterthwaite")
    wcsv(data.frame(term = rownames(a), a, check.names = FALSE), p("_anova3.csv"))
  }
  invisible(m)
}

write_confint <- function(m, name) {
  ci <- catch(confint(m, method = "profile", oldNames = TRUE))
  wcsv(data.frame(term = rownames(ci$value), ci$value, check.names = FALSE),
       paste0(name, "_confint_profile.csv"))
  writeLines(ci$messages, file.path(out, paste0(name, "_confint_profile_messages.txt")))
  ci <- confint(m, method = "Wald", oldNames = TRUE)
  wcsv(data.frame(term = rownames(ci), ci, check.names = FALSE), paste0(name, "_confint_wald.csv"))
}

write_predict <- function(m, name, newdata, newdata_file) {
  wcsv(newdata, newdata_file)
  nd <- read.csv(file.path(out, newdata_file), stringsAsFactors = FALSE)
  wcsv(data.frame(row = seq_len(nrow(nd)),
                  fit = unname(predict(m, newdata = nd, re.form = NULL, allow.new.levels = TRUE)),
                  fit_fixed = unname(predict(m, newdata = nd, re.form = NA))),
       paste0(name, "_predict.csv"))
  # without allow.new.levels lme4 refuses the unseen levels
  e <- tryCatch({predict(m, newdata = nd); NULL}, error = function(e) conditionMessage(e))
  stopifnot(!is.null(e))
  writeLines(e, file.path(out, paste0(name, "_predict_error.txt")))
}

# -- sleepstudy ------------------------------------------------------------------------------
ss <- lme4::sleepstudy
ss$Reaction_1e6 <- ss$Reaction + 1e6
ss$Reaction_1e8 <- ss$Reaction + 1e8
ss$Days_1e6 <- ss$Days + 1e6
ss$Days2 <- 2 * ss$Days
sleepstudy <- write_data(ss, "sleepstudy.csv", factors = "Subject")
S <- function(name, formula, REML = TRUE) {
  fit_model(name, formula, "sleepstudy", "sleepstudy.csv", REML)
}
sleep_reml <- S("sleep_reml", "Reaction ~ Days + (Days | Subject)")
S("sleep_ml", "Reaction ~ Days + (Days | Subject)", REML = FALSE)
sleep_ri <- S("sleep_ri", "Reaction ~ Days + (1 | Subject)")
S("sleep_big6", "Reaction_1e6 ~ Days + (Days | Subject)")
S("sleep_big8", "Reaction_1e8 ~ Days + (Days | Subject)")
S("sleep_bigx", "Reaction ~ Days_1e6 + (Days | Subject)")
S("sleep_diag", "Reaction ~ Days + (Days || Subject)")
S("sleep_quad", "Reaction ~ Days + I(Days^2) + (1 | Subject)")
S("sleep_log", "log(Reaction) ~ Days + (1 | Subject)")
S("sleep_twoterms", "Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)")
S("sleep_rankdef", "Reaction ~ Days + Days2 + (1 | Subject)")
# sleep_bigx is sleep_reml with Days shifted by 1e6: the same model, so the exact answer is known.
# lme4 loses accuracy on it (a convergence warning, and a criterion about 7e-4 BELOW sleep_reml's,
# which no fit can reach); the exact fixed effects, from sleep_reml by lmerTest's contest1D:
# Days_1e6 has Days's row, (Intercept) is (Intercept) - 1e6 Days.
exact <- rbind(contest1D(sleep_reml, c(1, -1e6)), contest1D(sleep_reml, c(0, 1)))
wcsv(data.frame(term = c("(Intercept)", "Days_1e6"), exact, check.names = FALSE),
     "sleep_bigx_exact_fixef.csv")
write_confint(sleep_reml, "sleep_reml")
write_predict(sleep_reml, "sleep_reml", data.frame(
  Days = c(0, 4.5, 9, 0, 9, 3, 3),
  Subject = c(308L, 308L, 308L, 372L, 372L, 999L, 1000L)  # 999, 1000: not in the data
), "sleep_newdata.csv")

# likelihood-ratio test of the two REML fits (lme4 refits both by ML, with a message)
lrt <- catch(anova(sleep_ri, sleep_reml))
wcsv(data.frame(model = rownames(lrt$value), lrt$value, check.names = FALSE),
     "sleep_lrt_anova.csv")
writeLines(lrt$messages, file.path(out, "sleep_lrt_anova_messages.txt"))

# -- Pastes (nested), Penicillin (crossed), cake (factor x numeric) ---------------------------------
Pastes <- write_data(lme4::Pastes, "Pastes.csv", factors = c("batch", "cask", "sample"))
pastes_nested <- fit_model("pastes_nested", "strength ~ 1 + (1 | batch/cask)", "Pastes",
                           "Pastes.csv")
fit_model("pastes_explicit", "strength ~ 1 + (1 | batch) + (1 | batch:cask)", "Pastes",
          "Pastes.csv")
write_confint(pastes_nested, "pastes_nested")

Penicillin <- write_data(lme4::Penicillin, "Penicillin.csv", factors = c("plate", "sample"))
fit_model("penicillin", "diameter ~ 1 + (1 | plate) + (1 | sample)", "Penicillin",
          "Penicillin.csv")

ck <- lme4::cake
ck$temperature <- as.character(ck$temperature)  # an ordered factor in lme4: written as text
cake <- write_data(ck, "cake.csv", factors = c("replicate", "recipe"))
fit_model("cake", "angle ~ recipe * temp + (1 | recipe:replicate)", "cake", "cake.csv")

# -- mlmRev: egsingle (three levels), ScotsSec (crossed) -------------------------------------------
eg <- mlmRev::egsingle[, c("schoolid", "childid", "year", "math")]
eg$schoolid <- as.integer(as.character(eg$schoolid))
eg$childid <- as.integer(as.character(eg$childid))
egsingle <- write_data(eg, "egsingle.csv", factors = c("schoolid", "childid"))
fit_model("egsingle", "math ~ year + (year | schoolid/childid)", "egsingle", "egsingle.csv")

sc <- mlmRev::ScotsSec[, c("attain", "verbal", "sex", "primary", "second")]
sc$sex <- as.character(sc$sex)
sc$primary <- as.integer(as.character(sc$primary))
sc$second <- as.integer(as.character(sc$second))
ScotsSec <- write_data(sc, "ScotsSec.csv", factors = c("sex", "primary", "second"))
fit_model("scotssec", "attain ~ verbal + sex + (1 | primary) + (1 | second)", "ScotsSec",
          "ScotsSec.csv")

# -- simulated: students in classes in schools ------------------------------------------------------
set.seed(20261201)
n_school <- 24
n_class <- sample(2:5, n_school, replace = TRUE)
school_of_class <- rep(seq_len(n_school), n_class)
class_in_school <- unlist(lapply(n_class, seq_len))
n_cls <- length(school_of_class)
size <- sample(3:14, n_cls, replace = TRUE)
w_school <- rnorm(n_school)                # a school-level predictor
v_class <- rnorm(n_cls, 0, 2)              # a class-level predictor
u0 <- rnorm(n_school, 0, 3)
u1 <- 0.4 * u0 / 3 + rnorm(n_school, 0, 0.8)
uc <- rnorm(n_cls, 0, 1.5)
ci <- rep(seq_len(n_cls), size)
si <- school_of_class[ci]
n <- length(ci)
x <- rnorm(n, 0, 1.5)
y <- 50 + 2 * x + 1.5 * w_school[si] + 0.7 * v_class[ci] + u0[si] + u1[si] * x + uc[ci] +
  rnorm(n, 0, 2.5)
x[sample(n, 12)] <- NA
lost <- which(size[ci] == min(size))[1]      # one class loses all its rows (x missing)
x[ci == ci[lost]] <- NA
three <- data.frame(
  y = y, x = x, w = w_school[si], v = v_class[ci],
  school = sprintf("s%02d", si), class = sprintf("c%d", class_in_school[ci])
)
three <- write_data(three, "three.csv", factors = c("school", "class"))
three_rs <- fit_model("three_rs", "y ~ x + w + (1 + x | school) + (1 | school:class)", "three",
                      "three.csv")
three_ri <- fit_model("three_ri", "y ~ x + (1 | school/class)", "three", "three.csv")
fit_model("three_ctx", "y ~ x + w + v + (1 | school/class)", "three", "three.csv")
newthree <- data.frame(
  x = c(0.5, -1, 1.2, 0.3, 2, -0.7),
  w = c(w_school[1], w_school[1], w_school[2], 0.2, -0.4, w_school[3]),
  v = c(0.1, 0.4, -1, 0.3, 1.1, 0),
  school = c("s01", "s01", "s02", "s99", "s98", "s03"),
  class = c("c1", "c9", "c2", "c1", "c9", "c1")
)  # rows 2 and 5: unseen class (in a seen / unseen school); rows 4 and 5: unseen school
write_predict(three_rs, "three_rs", newthree, "three_newdata.csv")
write_predict(three_ri, "three_ri", newthree, "three_newdata.csv")

# -- simulated: students x raters (crossed, unbalanced) ---------------------------------------------
set.seed(20261202)
n_student <- 60
n_rater <- 9
rows <- do.call(rbind, lapply(seq_len(n_student), function(i) {
  data.frame(student = i, rater = sort(sample(n_rater, sample(2:5, 1))))
}))
ustu <- rnorm(n_student, 0, 1.2)
urat <- rnorm(n_rater, 0, 0.7)
rows$x <- round(rnorm(nrow(rows), 3, 1), 2)
rows$score <- 5 + 0.6 * rows$x + ustu[rows$student] + urat[rows$rater] + rnorm(nrow(rows), 0, 1)
crossed <- data.frame(score = rows$score, x = rows$x, student = sprintf("st%03d", rows$student),
                      rater = sprintf("R%d", rows$rater))
crossed <- write_data(crossed, "crossed.csv", factors = c("student", "rater"))
fit_model("crossed", "score ~ x + (1 | student) + (1 | rater)", "crossed", "crossed.csv")

# -- simulated: no fixed effects at all ------------------------------------------------------------
set.seed(20261203)
sizes <- sample(4:8, 7, replace = TRUE)
gi <- rep(seq_len(7), sizes)
tiny <- data.frame(y = rnorm(7, 0, 2)[gi] + rnorm(length(gi)), g = sprintf("g%d", gi))
tiny <- write_data(tiny, "tiny.csv", factors = "g")
fit_model("noint", "y ~ 0 + (1 | g)", "tiny", "tiny.csv")

wcsv(index, "models.csv")

# -- identifiability: lme4 refuses these -------------------------------------------------------------
errors <- data.frame()
refuse <- function(name, formula, data_name, data_file) {
  cl <- call("lmer", str2lang(formula), data = as.name(data_name))
  e <- tryCatch({eval(cl, globalenv()); NULL}, error = function(e) conditionMessage(e))
  stopifnot(!is.null(e))
  writeLines(e, file.path(out, paste0(name, "_error.txt")))
  errors <<- rbind(errors, data.frame(name = name, data_file = data_file, formula = formula,
                                      REML = TRUE, data_name = data_name))
}
set.seed(20261204)
one_per_group <- data.frame(y = rnorm(10), x = rnorm(10), g = sprintf("g%02d", 1:10))
one_per_group <- write_data(one_per_group, "one_per_group.csv", factors = "g")
refuse("one_per_group", "y ~ x + (1 | g)", "one_per_group", "one_per_group.csv")
few_rows <- data.frame(y = rnorm(10), x = rnorm(10), g = rep(sprintf("g%d", 1:5), each = 2))
few_rows <- write_data(few_rows, "few_rows.csv", factors = "g")
refuse("more_re_than_obs", "y ~ x + (1 + x | g)", "few_rows", "few_rows.csv")
wcsv(errors, "errors.csv")

wcsv(data.frame(package = c("R", "lme4", "lmerTest", "Matrix", "nloptr"),
                version = c(R.version.string, as.character(packageVersion("lme4")),
                            as.character(packageVersion("lmerTest")),
                            as.character(packageVersion("Matrix")),
                            as.character(packageVersion("nloptr")))),
     "versions.csv")
