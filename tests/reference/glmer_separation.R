# Reference values for tests/test_glmer_separation.py: lme4 1.1-31's glmer on binary data with
# (quasi-)complete separation, written to tests/reference/glmer_separation/.
# Run from the repository root: Rscript tests/reference/glmer_separation.R
#
# Two data sets, each written to CSV (numbers with 17 significant digits) and fitted AS READ BACK:
# - "complete": y ~ z + (1 | g), y = 1 wherever z = 1 (the estimate of z runs off to infinity);
# - "level": y ~ x + f + (1 | g), the outcome is 1 in every row of f's level "c", while x and
#   f's level "b" are ordinary predictors.
# lme4 warns that the Hessian is singular and that vcov falls back to "var-cov estimated from
# RX"; the written numbers are its fixef, the Std. Errors of summary(), vcov() and the messages.
suppressMessages(library(lme4))
out <- "tests/reference/glmer_separation"
dir.create(out, showWarnings = FALSE, recursive = TRUE)

# num17(), wcsv(), write_data() and catch(): the writers every reference script shares
source("tests/reference/_write.R")

write_fit <- function(name, formula, data) {
  res <- catch(glmer(as.formula(formula), data = data, family = binomial))
  m <- res$value
  co <- catch(coef(summary(m)))
  v <- catch(as.matrix(vcov(m)))
  tab <- data.frame(term = rownames(co$value), co$value, check.names = FALSE)
  tab$Variance <- diag(v$value)
  wcsv(tab, paste0(name, "_fixef.csv"))
  wcsv(data.frame(term = names(getME(m, "theta")), theta = unname(getME(m, "theta")),
                  logLik = as.numeric(logLik(m))), paste0(name, "_theta.csv"))
  writeLines(as.character(unique(c(res$messages, m@optinfo$conv$lme4$messages, co$messages,
                                   v$messages))),
             file.path(out, paste0(name, "_messages.txt")))
}

n_groups <- 20L
g <- rep(sprintf("g%02d", seq_len(n_groups)), each = 10L)

# -- complete: y = 1 wherever z = 1 -------------------------------------------------------------
# (On most seeds lme4 falls back to RX here, as on this one; on a few its finite-difference
# Hessian passes as positive definite at an estimate far out, and its SEs are then arbitrary.)
set.seed(1)
z <- rbinom(length(g), 1L, 0.5)
y <- ifelse(z == 1L, 1L, rbinom(length(g), 1L, 0.5))
complete <- write_data(data.frame(y = y, z = z, g = g), "complete.csv", factors = "g")
write_fit("complete", "y ~ z + (1 | g)", complete)

# -- level: the outcome is 1 throughout f's level "c" -------------------------------------------
set.seed(2)
x <- round(rnorm(length(g)), 3)
f <- sample(c("a", "b", "c"), length(g), replace = TRUE)
u <- rnorm(n_groups, 0, 0.8)[as.integer(factor(g))]
eta <- -0.3 + 0.9 * x + 0.7 * (f == "b") + u
y2 <- ifelse(f == "c", 1L, rbinom(length(g), 1L, plogis(eta)))
level <- write_data(data.frame(y = y2, x = x, f = f, g = g), "level.csv", factors = c("f", "g"))
write_fit("level", "y ~ x + f + (1 | g)", level)
