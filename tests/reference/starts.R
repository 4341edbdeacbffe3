# Reference values for lme4's data-based start of theta when every random term is (1 | f):
# environment(lmer(..., devFunOnly = TRUE))$pp$theta (lme4 1.1) on balanced and unbalanced,
# crossed and nested designs, with two and three terms, with fixed effects, prior weights and
# missing outcomes, and two models that start at 1 (nested terms whose group means explain more
# than var(y); a term with a slope). Written to tests/reference/starts/ for
# tests/test_lmm_fit.py. Run from the repository root: Rscript tests/reference/starts.R
#
# As in engine.R, every data set is written with 17 significant digits and every model is fitted
# to the data AS READ BACK, so R and Python start from the same numbers.
suppressMessages({library(lme4)})
out <- "tests/reference/starts"
dir.create(out, showWarnings = FALSE, recursive = TRUE)

# num17(), wcsv() and write_data(): the writers every reference script shares
source("tests/reference/_write.R")

ss <- lme4::sleepstudy
sleep <- data.frame(Reaction = ss$Reaction, Days = ss$Days, Subject = as.character(ss$Subject))
sleep$dose <- c("1", "2", "9", "10")[sleep$Days %% 4 + 1]
sleep <- write_data(sleep, "sleep.csv", text = c("Subject", "dose"))
pen <- write_data(lme4::Penicillin, "Penicillin.csv", text = c("plate", "sample"))
pastes <- write_data(lme4::Pastes[, c("strength", "batch", "cask")], "Pastes.csv",
                     text = c("batch", "cask"))

# unbalanced: three crossed factors drawn at random, a covariate, weights, a noisier outcome
set.seed(1)
n <- 300
sim <- data.frame(a = paste0("a", sample(1:15, n, TRUE)), b = paste0("b", sample(1:7, n, TRUE)),
                  c = paste0("c", sample(1:4, n, TRUE)))
sim$x <- rnorm(n)
sim$w <- runif(n, 0.5, 2)
ia <- as.integer(sub("a", "", sim$a)); ib <- as.integer(sub("b", "", sim$b))
ic <- as.integer(sub("c", "", sim$c))
sim$y <- rnorm(15)[ia] + 0.5 * rnorm(7)[ib] + 0.3 * rnorm(4)[ic] + rnorm(n)
sim$z <- sim$y + rnorm(n, sd = 5)
sim$y_na <- sim$y
sim$y_na[c(3, 50, 120)] <- NA
sim <- write_data(sim, "sim.csv", text = c("a", "b", "c"))

models <- list(
  sleep_dose = list(Reaction ~ Days + (1 | Subject) + (1 | dose), sleep),
  penicillin = list(diameter ~ 1 + (1 | plate) + (1 | sample), pen),
  pastes_nested = list(strength ~ 1 + (1 | batch/cask), pastes),
  crossed2 = list(y ~ 1 + (1 | a) + (1 | b), sim),
  crossed2_x = list(y ~ x + (1 | a) + (1 | b), sim),
  crossed3 = list(z ~ 1 + (1 | a) + (1 | b) + (1 | c), sim),
  nested_bc = list(y ~ 1 + (1 | b/c), sim),
  nested_ac = list(y ~ 1 + (1 | a) + (1 | a:c), sim),
  nested_ac_z = list(z ~ 1 + (1 | a) + (1 | a:c), sim),
  missing_y = list(y_na ~ 1 + (1 | a) + (1 | b), sim),
  with_slope = list(y ~ 1 + (1 | a) + (1 + x | b), sim)
)
rows <- list()
for (name in names(models)) {
  theta <- environment(lmer(models[[name]][[1]], models[[name]][[2]], devFunOnly = TRUE))$pp$theta
  rows[[name]] <- data.frame(model = name, formula = deparse(models[[name]][[1]]),
                             index = seq_along(theta), start = theta)
}
theta <- environment(lmer(y ~ 1 + (1 | a) + (1 | b), sim, weights = w, devFunOnly = TRUE))$pp$theta
rows$weights <- data.frame(model = "weights", formula = "y ~ 1 + (1 | a) + (1 | b)",
                           index = seq_along(theta), start = theta)
starts <- do.call(rbind, rows)
starts$data <- c(sleep_dose = "sleep.csv", penicillin = "Penicillin.csv",
                 pastes_nested = "Pastes.csv")[starts$model]
starts$data[is.na(starts$data)] <- "sim.csv"
wcsv(starts, "starts.csv")
