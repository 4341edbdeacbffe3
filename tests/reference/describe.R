# Reference values for hlmtutor.describe beyond the guide's data: text columns with missing
# values and mixed case, and columns constant within a group. Run from the repository root:
#   Rscript tests/reference/describe.R
# Writes tests/reference/describe/*.csv, every number at full precision (%.17g), inputs too.
# Needs: r-base-core r-cran-psych (Debian). R sorts text with ICU here ("a" < "A" < "b").
suppressMessages(library(psych))
stopifnot(capabilities("ICU"))
out <- file.path("tests", "reference", "describe")
dir.create(out, showWarnings = FALSE, recursive = TRUE)

source("tests/reference/_write.R")  # write_full (and num17, wcsv, ...)
describe_table <- function(d) {
  d <- as.data.frame(d)
  data.frame(variable = rownames(d), d, check.names = FALSE)
}
# describeBy's list of tables as one long table: group, variable, statistics.
describe_long <- function(by_result) {
  rows <- list()
  for (g in names(by_result)) {
    rows[[g]] <- data.frame(group = g, describe_table(by_result[[g]]), check.names = FALSE)
  }
  long <- do.call(rbind, rows)
  rownames(long) <- NULL
  long
}
# summary(df) as numbers: quantile type 7 and mean(), as summary.default computes them.
summary_numbers <- function(df) {
  stats <- sapply(df, function(v) {
    q <- quantile(v, probs = c(0, 0.25, 0.5, 0.75, 1), type = 7, na.rm = TRUE, names = FALSE)
    c(q[1:3], mean(v, na.rm = TRUE), q[4:5])
  })
  data.frame(stat = c("Min.", "1st Qu.", "Median", "Mean", "3rd Qu.", "Max."), stats,
             check.names = FALSE)
}

# ---- text with missing values and mixed case ----------------------------------------------
# psych codes a character column as as.numeric(as.factor(x)) (levels in R's collation,
# "apple" < "Apple" < "banana"), and stars its name; describeBy ranks within each group.
mixed <- data.frame(
  team = c("b", "B", "a", "A", "b", "a", "B", "A", "a", "b", "B", "A"),
  word = c("pear", "Pear", NA, "apple", "Apple", "banana", "Banana", NA, "apple", "Banana",
           "pear", "Apple"),
  score = c(2.5, 4, NA, 7.25, 1, 3, 10, 6, 5.5, 8, NA, 4.75),
  stringsAsFactors = FALSE
)
write_full(mixed, "mixed_input.csv")
write_full(data.frame(level = levels(factor(mixed$word))), "mixed_word_levels.csv")
write_full(describe_table(describe(mixed)), "mixed_describe.csv")
write_full(describe_long(describeBy(mixed, group = "team")), "mixed_describe_by.csv")

# ---- columns constant within a group ----------------------------------------------------
# mean() is a two-pass mean accumulated in long double, so a constant vector has its own
# value as mean, sd 0, and NaN skew and kurtosis (0/0).
constant <- data.frame(
  g = rep(c("p", "q"), each = 7),
  tenth = rep(0.1, 14),
  big = c(rep(1e6 + 0.3, 7), rep(1e6 + 0.7, 7)),
  x = c(0.3, 1.7, 2.2, 0.9, 3.1, 1.1, 2.6, 4.0, 3.3, 5.2, 4.4, 3.9, 6.1, 4.8),
  stringsAsFactors = FALSE
)
write_full(constant, "constant_input.csv")
write_full(describe_table(describe(constant)), "constant_describe.csv")
write_full(describe_long(describeBy(constant, group = "g")), "constant_describe_by.csv")
# One column: describe() takes its vector branch (skew() and kurtosi() of a vector).
write_full(describe_long(describeBy(constant["big"], group = constant$g)), "constant_big_by.csv")
write_full(summary_numbers(constant[c("tenth", "big", "x")]), "constant_summary.csv")
