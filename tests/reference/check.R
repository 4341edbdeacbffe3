# Reference values for tests/test_check.py and tests/test_assignments.py: what lme4/lmerTest and base R
# give on one student's data for each assignment.
# Run from the repository root:  Rscript tests/reference/check.R
# Reads tests/reference/check/a{1,2,3}_s001.csv, the data of student "s001", which Python wrote with
#   hlmtutor.course.assignment_data(name, "s001").to_csv(path, index=False)
# (tests/test_assignments.py checks that the package still gives exactly that data).
# Writes tests/reference/check/r_values.csv: assignment, quantity, value.
suppressMessages({library(lme4); library(lmerTest)})
dir <- "tests/reference/check"
if (!dir.exists(dir)) stop("run from the repository root")
read <- function(name) read.csv(file.path(dir, paste0(name, "_s001.csv")))
rows <- list()
add <- function(assignment, quantity, value) {
  rows[[length(rows) + 1]] <<- data.frame(assignment = assignment, quantity = quantity, value = value)
}
center <- function(d) {
  d$ses_cm <- ave(d$ses, d$classroom_id)
  d$ses_cwc <- d$ses - d$ses_cm
  d$ses_cm_gmc <- d$ses_cm - mean(d$ses_cm[!duplicated(d$classroom_id)])
  d
}

a1 <- center(read("a1"))
add("a1", "mean_math", mean(a1$math_score))
add("a1", "sd_math_classroom_1", sd(a1$math_score[a1$classroom_id == 1]))
add("a1", "ses_cm", sd(a1$ses_cm))
add("a1", "ses_cwc", sd(a1$ses_cwc))
add("a1", "ses_cm_gmc", sd(a1$ses_cm_gmc))
# First rows of the centered columns (the check compares whole columns; tests compare these).
for (i in 1:3) {
  add("a1", paste0("ses_cwc_row", i), a1$ses_cwc[i])
  add("a1", paste0("ses_cm_gmc_row", i), a1$ses_cm_gmc[i])
}

a2 <- read("a2")
null <- lmer(math_score ~ 1 + (1 | classroom_id), data = a2)
vc <- as.data.frame(VarCorr(null))
add("a2", "var_intercept", vc$vcov[1])
add("a2", "var_residual", vc$vcov[2])
add("a2", "icc", vc$vcov[1] / sum(vc$vcov))
add("a2", "intercept", fixef(null)[[1]])

a3 <- center(read("a3"))
full <- lmer(math_score ~ treatment * ses_cwc + ses_cm_gmc + (1 + ses_cwc | classroom_id), data = a3)
coefs <- coef(summary(full))
add("a3", "b_treatment", coefs["treatment", "Estimate"])
add("a3", "b_interaction", coefs["treatment:ses_cwc", "Estimate"])
add("a3", "df_interaction", coefs["treatment:ses_cwc", "df"])
add("a3", "p_interaction", coefs["treatment:ses_cwc", "Pr(>|t|)"])
add("a3", "se_interaction", coefs["treatment:ses_cwc", "Std. Error"])
vc3 <- as.data.frame(VarCorr(full))
add("a3", "var_slope", vc3$vcov[which(vc3$var1 == "ses_cwc" & is.na(vc3$var2))])
add("a3", "var_residual", sigma(full)^2)
# The ML fit, which the hints recognise.
full_ml <- update(full, REML = FALSE)
add("a3", "b_treatment_ml", fixef(full_ml)[["treatment"]])

out <- do.call(rbind, rows)
write.csv(out, file.path(dir, "r_values.csv"), row.names = FALSE)
print(out, digits = 10)
