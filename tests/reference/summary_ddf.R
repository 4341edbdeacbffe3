# Reference text for tests/test_summary.py: lmerTest 3.1-3's print(summary(fit, ddf = ...)) for
# ddf = "Satterthwaite" (the default), "Kenward-Roger" and "lme4", on four models: sleepstudy's
# random slope, cake (two factors), an unbalanced simulated design where Kenward-Roger's and
# Satterthwaite's df differ visibly, and a weighted fit and an ML fit (what lmerTest does with
# Kenward-Roger there is recorded too). Run from the repository root:
#   Rscript tests/reference/summary_ddf.R
#
# As in tests/reference/engine.R: every data set is written to CSV first (numbers with 17
# significant digits, which read back to the same double in R and in Python) and every model is
# fitted to the data AS READ BACK, so R and Python fit exactly the same numbers. Per model:
# <name>_<ddf>.txt (the printed summary, or "Error: ..." where lmerTest refuses), <name>_theta.csv
# and <name>_scalars.csv (lme4's optimum); index.csv lists the models and their factor columns.
suppressMessages({library(lme4); library(lmerTest)})
out <- "tests/reference/summary_ddf"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
options(width = 80)  # R's default console width: the summary text depends on it

# num17(), wcsv() and write_data(): the writers every reference script shares
source("tests/reference/_write.R")

# -- fitting and printing ----------------------------------------------------------------------
index <- data.frame()
DDF <- c(Satterthwaite = "satterthwaite", "Kenward-Roger" = "kr", lme4 = "lme4")

fit_model <- function(name, formula, data_name, data_file, REML = TRUE, weights = NULL,
                      factors = character()) {
  # the call as a user would type it, so that summary() prints "Data: <data_name>"
  cl <- call("lmer", str2lang(formula), data = as.name(data_name), REML = REML)
  if (!is.null(weights)) cl$weights <- as.name(weights)
  m <- eval(cl, globalenv())
  th <- getME(m, "theta")
  wcsv(data.frame(name = names(th), theta = unname(th)), paste0(name, "_theta.csv"))
  wcsv(data.frame(REMLcrit = if (isREML(m)) REMLcrit(m) else NA_real_,
                  logLik = as.numeric(logLik(m))), paste0(name, "_scalars.csv"))
  for (ddf in names(DDF)) {
    file <- paste0(name, "_", DDF[[ddf]], ".txt")
    res <- tryCatch(capture.output(print(summary(m, ddf = ddf))),
                    error = function(e) paste("Error:", conditionMessage(e)))
    writeLines(res, file.path(out, file))
  }
  index <<- rbind(index, data.frame(name = name, data_file = data_file, formula = formula,
                                    REML = REML, data_name = data_name,
                                    weights = if (is.null(weights)) "" else weights,
                                    factors = paste(factors, collapse = " ")))
  invisible(m)
}

# -- sleepstudy: random slope; an ML fit; a weighted fit ---------------------------------------
ss <- lme4::sleepstudy
ss$w <- rep(c(1, 2, 0.5, 1.5, 1), length.out = nrow(ss))
sleepstudy <- write_data(ss, "sleepstudy.csv", factors = "Subject")
fit_model("sleep", "Reaction ~ Days + (Days | Subject)", "sleepstudy", "sleepstudy.csv",
          factors = "Subject")
fit_model("sleep_ml", "Reaction ~ Days + (Days | Subject)", "sleepstudy", "sleepstudy.csv",
          REML = FALSE, factors = "Subject")
fit_model("sleep_weighted", "Reaction ~ Days + (1 | Subject)", "sleepstudy", "sleepstudy.csv",
          weights = "w", factors = "Subject")

# -- cake: two factors (recipe, temperature as an unordered factor), replicates within recipe ---
ck <- lme4::cake
ck <- data.frame(replicate = as.character(ck$replicate), recipe = as.character(ck$recipe),
                 temperature = as.character(ck$temperature), angle = ck$angle)
cake <- write_data(ck, "cake.csv", factors = c("replicate", "recipe", "temperature"))
fit_model("cake", "angle ~ recipe + temperature + (1 | recipe:replicate)", "cake", "cake.csv",
          factors = c("replicate", "recipe", "temperature"))

# -- unbalanced: groups of 2 to 14 rows, a group-level and a row-level predictor, random slope --
set.seed(20261206)
ngroup <- 18
size <- sample(2:14, ngroup, replace = TRUE)
g <- rep(seq_len(ngroup), size)
z <- round(rnorm(ngroup), 2)[g]
x <- round(runif(length(g), 0, 10), 1)
u0 <- rnorm(ngroup, 0, 2)[g]
u1 <- rnorm(ngroup, 0, 0.3)[g]
y <- 10 + 1.5 * z + 0.4 * x + u0 + u1 * x + rnorm(length(g), 0, 1.5)
unb <- data.frame(g = paste0("g", sprintf("%02d", g)), z = z, x = x, y = round(y, 3))
unbalanced <- write_data(unb, "unbalanced.csv", factors = "g")
fit_model("unbalanced", "y ~ x * z + (x | g)", "unbalanced", "unbalanced.csv",
          factors = "g")

wcsv(index, "index.csv")
