# Reference REML optima for tests/test_engine.py: 64 small seeded random-slope data sets (8-20
# groups of 3-12 rows, unequal), 2 and 3 random effects per group, some with badly scaled
# predictors (x in the thousands, a variable in 1e-3 units, y with a large mean) and some near the
# boundary (a small or zero slope variance). lme4 1.1-31 (lmerTest 3.1-3) with its default
# optimizer (nloptwrap: NLopt BOBYQA) fits each; Python's criterion must never be above lme4's.
# Run from the repository root: Rscript tests/reference/optimizer_sets.R
#
# Output (tests/reference/optimizer_sets/):
#   data.csv   all data sets, long, with a `set` column (fitted AS READ BACK from this file)
#   fits.csv   per set: set, formula, variant, nobs, ngroups, REMLcrit, theta (";"-joined, lme4's
#              order), isSingular, feval, messages (lme4's warnings and messages, " | "-joined),
#              and REMLcrit_rescaled: lme4's criterion for the same model fitted to standardised
#              columns, carried back to this scaling (+ 2 log|det A| for X = X_std A). The two
#              agree when lme4 is accurate on the badly scaled columns (on x in the thousands
#              lme4 stops far short: up to 46 units above). REMLcrit_best: the lowest of
#              REMLcrit and the standardised fits by nloptwrap, minqa's bobyqa and Nelder_Mead
#              (carried back): a criterion far below it is not on the user's scale.
suppressMessages({library(lme4); library(lmerTest)})
out <- "tests/reference/optimizer_sets"
dir.create(out, showWarnings = FALSE, recursive = TRUE)

source("tests/reference/_write.R")  # num17, wcsv, write_data, catch

# variant: how the columns are scaled (x = x_scale * x0 + x_shift, z = z_scale * z0, y + y_shift)
variants <- list(
  plain       = c(x_shift = 0,    x_scale = 1,    z_scale = 1,    y_shift = 0),
  x_thousands = c(x_shift = 3000, x_scale = 1000, z_scale = 1,    y_shift = 0),
  z_milli     = c(x_shift = 0,    x_scale = 1,    z_scale = 1e-3, y_shift = 0),
  y_big       = c(x_shift = 0,    x_scale = 1,    z_scale = 1,    y_shift = 1e5),
  all         = c(x_shift = 3000, x_scale = 1000, z_scale = 1e-3, y_shift = 1e5)
)
n_sets <- 64
specs <- data.frame()
sets <- list()
for (s in seq_len(n_sets)) {
  set.seed(20261210 + s)
  q <- if (s <= n_sets / 2) 2 else 3
  variant <- names(variants)[(s - 1) %% length(variants) + 1]
  if (q == 2 && variant == "z_milli") variant <- "plain"  # z is not in the 2-effect model
  boundary <- c("none", "small", "zero")[(s %% 3) + 1]  # slope SD: free, 0.02, exactly 0
  repeat {
    ng <- sample(8:20, 1)
    sizes <- sample(3:12, ng, replace = TRUE)
    if (sum(sizes) > q * ng + 5) break  # lme4 refuses nobs <= number of random effects
  }
  gi <- rep(seq_len(ng), sizes)
  n <- length(gi)
  x0 <- rnorm(n)
  z0 <- rnorm(n)
  sd <- c(runif(1, 0.5, 2), runif(q - 1, 0.3, 1.2))
  if (boundary == "small") sd[2] <- 0.02
  if (boundary == "zero") sd[2] <- 0
  r <- runif(1, -0.6, 0.6)
  R <- diag(q)
  R[1, 2] <- R[2, 1] <- r
  b <- matrix(rnorm(ng * q), ng, q) %*% chol(R) %*% diag(sd, q)
  y0 <- 10 + x0 + 0.5 * z0 + b[gi, 1] + b[gi, 2] * x0 + rnorm(n)
  if (q == 3) y0 <- y0 + b[gi, 3] * z0
  v <- variants[[variant]]
  sets[[s]] <- data.frame(set = s, g = sprintf("g%02d", gi), x = v[["x_shift"]] + v[["x_scale"]] * x0,
                          z = v[["z_scale"]] * z0, y = y0 + v[["y_shift"]])
  specs <- rbind(specs, data.frame(
    set = s, q = q, variant = variant, boundary = boundary,
    formula = if (q == 2) "y ~ x + (1 + x | g)" else "y ~ x + z + (1 + x + z | g)"
  ))
}
wcsv(do.call(rbind, sets), "data.csv")
all_data <- read.csv(file.path(out, "data.csv"), stringsAsFactors = FALSE)

fits <- data.frame()
for (s in seq_len(n_sets)) {
  d <- all_data[all_data$set == s, ]
  d$g <- factor(d$g)
  f <- specs$formula[s]
  res <- catch(lmer(as.formula(f), data = d))
  m <- res$value
  # the same model on standardised columns, and log|det A| for X = X_std A
  v <- variants[[specs$variant[s]]]
  std <- d
  std$x <- (d$x - v[["x_shift"]]) / v[["x_scale"]]
  std$z <- d$z / v[["z_scale"]]
  std$y <- d$y - v[["y_shift"]]
  logdet <- log(v[["x_scale"]]) + if (specs$q[s] == 3) log(v[["z_scale"]]) else 0
  crit_std <- vapply(c("nloptwrap", "bobyqa", "Nelder_Mead"), function(opt) {
    m_std <- suppressMessages(suppressWarnings(
      lmer(as.formula(f), data = std, control = lmerControl(optimizer = opt))))
    REMLcrit(m_std)
  }, numeric(1))
  fits <- rbind(fits, data.frame(
    set = s, formula = f, variant = specs$variant[s], boundary = specs$boundary[s],
    nobs = nobs(m), ngroups = as.integer(ngrps(m)),
    REMLcrit = REMLcrit(m),
    theta = paste(num17(getME(m, "theta")), collapse = ";"),
    isSingular = isSingular(m),
    feval = as.integer(m@optinfo$feval),
    messages = paste(res$messages, collapse = " | "),
    REMLcrit_rescaled = crit_std[["nloptwrap"]] + 2 * logdet,
    REMLcrit_best = min(REMLcrit(m), crit_std + 2 * logdet)
  ))
}
wcsv(fits, "fits.csv")
wcsv(data.frame(package = c("R", "lme4", "lmerTest", "nloptr"),
                version = c(R.version.string, as.character(packageVersion("lme4")),
                            as.character(packageVersion("lmerTest")),
                            as.character(packageVersion("nloptr")))),
     "versions.csv")
