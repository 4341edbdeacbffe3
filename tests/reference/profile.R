# Data and lme4's own profile intervals for tests/test_profile.py, written to
# tests/reference/profile/. Run from the repository root: Rscript tests/reference/profile.R
#
# The tests check hlmtutor's profile intervals against a brute-force constrained minimisation
# written in the test (lme4's confint(method = "profile") interpolates its profile and is itself
# too narrow on some of these fits), so lme4's intervals are written for the record
# (lme4_confint.csv: model, parameter, lower, upper, and lme4's distinct warnings, " | "-joined), not as
# the values the tests expect. Machines (nlme) is written with 17 significant digits and the
# models are fitted to the data AS READ BACK, as tests/reference/engine.R does.
suppressMessages({library(lme4); library(nlme)})
out <- "tests/reference/profile"
dir.create(out, showWarnings = FALSE, recursive = TRUE)

source("tests/reference/_write.R")  # num17, wcsv, write_data, catch

machines <- write_data(data.frame(Worker = as.character(Machines$Worker),
                                  Machine = as.character(Machines$Machine),
                                  score = Machines$score, stringsAsFactors = FALSE),
                       "Machines.csv", factors = c("Worker", "Machine"))

sleep <- read.csv("tests/reference/engine/sleepstudy.csv", stringsAsFactors = TRUE)
models <- list(
  sleep_3waves = list(data = sleep[sleep$Days %in% c(0, 4, 9), ],
                      formula = Reaction ~ Days + (Days | Subject)),
  machines_slope = list(data = machines, formula = score ~ Machine + (Machine | Worker))
)
rows <- list()
for (name in names(models)) {
  spec <- models[[name]]
  msgs <- character()
  ci <- withCallingHandlers(
    confint(lmer(spec$formula, spec$data, REML = TRUE), method = "profile", oldNames = TRUE),
    warning = function(w) { msgs <<- c(msgs, conditionMessage(w)); invokeRestart("muffleWarning") },
    message = function(m) { msgs <<- c(msgs, conditionMessage(m)); invokeRestart("muffleMessage") }
  )
  rows[[name]] <- data.frame(model = name, parameter = rownames(ci), lower = num17(ci[, 1]),
                             upper = num17(ci[, 2]),
                             messages = paste(unique(gsub("\\s+", " ", msgs)), collapse = " | "))
}
write.csv(do.call(rbind, rows), file.path(out, "lme4_confint.csv"), row.names = FALSE)
versions <- data.frame(package = c("R", "lme4", "nlme"),
                       version = c(as.character(getRversion()), as.character(packageVersion("lme4")),
                                   as.character(packageVersion("nlme"))))
write.csv(versions, file.path(out, "versions.csv"), row.names = FALSE)
