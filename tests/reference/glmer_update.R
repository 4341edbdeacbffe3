# Reference values for tests/test_glmer_update.py: lme4's update() on glmer fits, written to
# tests/reference/glmer_update/. Run from the repository root: Rscript tests/reference/glmer_update.R
#
# R's update on a glmerMod calls glmer again with the call's other arguments (family, offset,
# weights, nAGQ), with the formula changed by update.formula. Two data sets, each written to CSV
# (numbers with 17 significant digits) and fitted AS READ BACK:
# - "counts": a Poisson count with an exposure, offset = logt (a column), x missing on 4 rows:
#   m0 <- glmer(y ~ x + (1 | g), counts, poisson, offset = logt), then update(m0, . ~ . + z)
#   and update(m0, nAGQ = 5);
# - "props": a proportion of n trials, weights = n:
#   p0 <- glmer(p ~ x + (1 | g), props, binomial, weights = n), then update(p0, . ~ . + z).
# Each fit's coef(summary()) goes to <name>_fixef.csv; theta, logLik, nobs and nAGQ to
# <name>_scalars.csv.
suppressMessages(library(lme4))
out <- "tests/reference/glmer_update"
dir.create(out, showWarnings = FALSE, recursive = TRUE)

# num17(), wcsv(), write_data() and catch(): the writers every reference script shares
source("tests/reference/_write.R")

write_fit <- function(m, name) {
  co <- coef(summary(m))
  wcsv(data.frame(term = rownames(co), co, check.names = FALSE), paste0(name, "_fixef.csv"))
  th <- getME(m, "theta")
  wcsv(data.frame(theta_name = names(th), theta = unname(th), logLik = as.numeric(logLik(m)),
                  nobs = nobs(m), nAGQ = m@devcomp$dims[["nAGQ"]]),
       paste0(name, "_scalars.csv"))
  invisible(m)
}

n_groups <- 20L
g <- rep(sprintf("g%02d", seq_len(n_groups)), each = 10L)
n <- length(g)

# -- counts: Poisson with an exposure offset, x missing on four rows ---------------------------
set.seed(14)
x <- round(rnorm(n), 3)
z <- round(rnorm(n), 3)
logt <- round(log(runif(n, 0.5, 3)), 4)
u <- rnorm(n_groups, 0, 0.5)[as.integer(factor(g))]
y <- rpois(n, exp(logt + 0.2 + 0.4 * x - 0.3 * z + u))
x[c(4, 51, 52, 121)] <- NA
counts <- write_data(data.frame(y = y, x = x, z = z, logt = logt, g = g), "counts.csv",
                     factors = "g")
m0 <- glmer(y ~ x + (1 | g), data = counts, family = poisson, offset = logt)
write_fit(m0, "counts_m0")
write_fit(update(m0, . ~ . + z), "counts_plus_z")
write_fit(update(m0, nAGQ = 5), "counts_agq5")

# -- props: a proportion with the number of trials as weights ----------------------------------
set.seed(15)
x <- round(rnorm(n), 3)
z <- round(rnorm(n), 3)
trials <- sample(1:14, n, replace = TRUE)
u <- rnorm(n_groups, 0, 0.8)[as.integer(factor(g))]
s <- rbinom(n, trials, plogis(0.2 + 0.6 * x - 0.3 * z + u))
props <- write_data(data.frame(p = s / trials, x = x, z = z, n = trials, g = g), "props.csv",
                    factors = "g")
p0 <- glmer(p ~ x + (1 | g), data = props, family = binomial, weights = n)
write_fit(p0, "props_p0")
write_fit(update(p0, . ~ . + z), "props_plus_z")
