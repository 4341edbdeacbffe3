# Reference values for hlmtutor's foundation modules (rng, simulate, describe, centering,
# datasets). Run from the repository root:  Rscript tests/reference/foundation.R
# Writes tests/reference/foundation/*.csv with every number at full precision (%.17g).
# Needs: r-base-core r-cran-psych r-cran-dplyr r-cran-mlmrev (Debian).
suppressMessages({
  library(psych)
  library(dplyr)
})
out <- file.path("tests", "reference", "foundation")
dir.create(out, showWarnings = FALSE, recursive = TRUE)

source("tests/reference/_write.R")  # write_full (and num17, wcsv, ...)

# ---- rng: R's default generator (Mersenne-Twister, Inversion) ---------------------------
RNGkind("Mersenne-Twister", "Inversion", "Rejection")
seeds <- c(123, 0, 1, 42, -1, 2147483647, -2147483647)
rows <- list()
for (s in seeds) {
  set.seed(s)
  rows[[length(rows) + 1]] <- data.frame(seed = s, call = "rnorm(200)", index = 1:200, value = rnorm(200))
  set.seed(s)
  rows[[length(rows) + 1]] <- data.frame(seed = s, call = "runif(200)", index = 1:200, value = runif(200))
}
write_full(do.call(rbind, rows), "rng_seeds.csv")

# One long stream: every 997th of 200,000 normals, plus the most extreme ones (the tails
# are where the inversion needs both uniforms).
set.seed(2718)
x <- rnorm(200000)
keep <- sort(unique(c(seq(1, length(x), by = 997), which.min(x), which.max(x), length(x))))
write_full(data.frame(seed = 2718, call = "rnorm(200000)", index = keep, value = x[keep]), "rng_long.csv")

# A stream continued across calls: rnorm, then runif, then rnorm with mean and sd, then
# recycled parameter vectors (sd = 0 and min == max return without drawing in R).
set.seed(2024)
stream <- list(
  data.frame(call = "rnorm(5)", index = 1:5, value = rnorm(5)),
  data.frame(call = "runif(4)", index = 1:4, value = runif(4)),
  data.frame(call = "rnorm(6, mean = 3, sd = 2)", index = 1:6, value = rnorm(6, mean = 3, sd = 2)),
  data.frame(call = "runif(3, min = -2, max = 5)", index = 1:3, value = runif(3, min = -2, max = 5)),
  data.frame(call = "rnorm(7, mean = c(0, 10, 20), sd = c(1, 0))", index = 1:7,
             value = rnorm(7, mean = c(0, 10, 20), sd = c(1, 0))),
  data.frame(call = "runif(5, min = c(0, 1), max = c(1, 1, 3))", index = 1:5,
             value = runif(5, min = c(0, 1), max = c(1, 1, 3))),
  data.frame(call = "rnorm(3)", index = 1:3, value = rnorm(3))
)
write_full(do.call(rbind, stream), "rng_stream.csv")

# ---- simulate: the guide's data, built as guide.R builds it -------------------------------
source("tests/reference/guide_simulation.R")
write_full(data, "guide_data_full.csv")
write_full(head(data), "guide_data_head.csv")
write_full(data.frame(column = names(data), r_class = sapply(data, class)), "guide_data_classes.csv")

# ---- describe: summary(), describe(), describeBy() ---------------------------------------
# summary(data) as numbers (summary.default: quantile type 7 and the mean), not R's
# rounded print.
r_summary_numbers <- function(df) {
  stats <- sapply(df, function(v) {
    q <- quantile(v, probs = c(0, 0.25, 0.5, 0.75, 1), type = 7, na.rm = TRUE, names = FALSE)
    c(q[1:3], mean(v, na.rm = TRUE), q[4:5], sum(is.na(v)))
  })
  # the same numbers summary() itself stores (it rounds only when printing)
  stopifnot(all.equal(unname(stats[1:6, ]), unname(sapply(df, function(v) as.numeric(summary(v))[1:6])),
                      tolerance = 0))
  data.frame(stat = c("Min.", "1st Qu.", "Median", "Mean", "3rd Qu.", "Max.", "NA's"), stats,
             check.names = FALSE)
}
write_full(r_summary_numbers(data), "guide_summary.csv")

# dplyr: group_by(classroom_id) %>% summarise(n = n()) and summarise(mean, sd)
write_full(data %>% group_by(classroom_id) %>% summarise(n = n()) %>% ungroup(), "guide_classroom_counts.csv")
write_full(data %>% group_by(classroom_id) %>%
       summarise(mean = mean(math_score), sd = sd(math_score)) %>% ungroup(),
     "guide_classroom_math.csv")

# describeBy(data, group = "classroom_id"): every classroom, every column (the group
# column included, as describeBy describes it too), in one long table.
describe_long <- function(by_result) {
  rows <- list()
  for (g in names(by_result)) {
    d <- as.data.frame(by_result[[g]])
    rows[[g]] <- data.frame(group = g, variable = rownames(d), d, check.names = FALSE)
  }
  long <- do.call(rbind, rows)
  rownames(long) <- NULL
  long
}
write_full(describe_long(describeBy(data, group = "classroom_id")), "guide_describe_by.csv")
d_all <- as.data.frame(describe(data))
write_full(data.frame(variable = rownames(d_all), d_all, check.names = FALSE), "guide_describe.csv")

# A small data set with the awkward cases: missing values, a constant column, a group of
# one, a factor and a character column (psych codes these as numbers and stars the name).
small <- data.frame(
  team = c("a", "a", "a", "a", "b", "b", "b", "c", "a", "b"),
  score = c(3.5, NA, 7.25, 1, 10, 4, NA, 6, 2.5, 8),
  count = c(1L, 4L, 2L, 9L, 3L, NA, 5L, 7L, 2L, 2L),
  constant = rep(5, 10),
  level = factor(c("low", "high", "mid", "low", "mid", "high", "low", "mid", "high", "low"),
                 levels = c("low", "mid", "high")),
  word = c("pear", "fig", "apple", "fig", "kiwi", "pear", "apple", "fig", "kiwi", "fig"),
  stringsAsFactors = FALSE
)
write.csv(small, file.path(out, "small_input.csv"), row.names = FALSE, na = "")
d_small <- as.data.frame(describe(small))
write_full(data.frame(variable = rownames(d_small), d_small, check.names = FALSE), "small_describe.csv")
write_full(describe_long(describeBy(small, group = "team")), "small_describe_by.csv")
numeric_small <- small[c("score", "count", "constant")]
write_full(r_summary_numbers(numeric_small), "small_summary.csv")

# ---- centering: guide.R's base-R lines (misty and MLMusingR are not in Debian) -----------
centered <- data
centered$ses_grpmean <- ave(centered$ses, centered$classroom_id)
centered$ses_mc <- centered$ses - centered$ses_grpmean
cluster_values <- centered$ses_grpmean[!duplicated(centered$classroom_id)]
centered$ses_gmc <- centered$ses_grpmean - mean(cluster_values)
write_full(head(centered), "guide_centered_head.csv")
write_full(centered, "guide_centered_full.csv")
# grand-mean centering of ses itself, without clusters (misty CGM without cluster = x - mean(x))
write_full(data.frame(ses_cgm = data$ses - mean(data$ses)), "guide_ses_cgm.csv")

# With missing values: MLMusingR's group_center drops NAs from the cluster mean; misty's
# CGM with a cluster subtracts the unweighted mean of one value per cluster.
x_na <- small$score
g_na <- small$team
grp_mean_na <- ave(x_na, g_na, FUN = function(v) mean(v, na.rm = TRUE))
per_cluster <- tapply(x_na, g_na, function(v) mean(v, na.rm = TRUE))
write_full(data.frame(team = g_na, score = x_na, group_mean = grp_mean_na, center_within = x_na - grp_mean_na,
                center_grand_cluster = grp_mean_na - mean(per_cluster, na.rm = TRUE),
                center_grand = x_na - mean(x_na, na.rm = TRUE)),
     "small_centering.csv")

# ---- datasets: High School and Beyond, from R's own packages ------------------------------
suppressMessages({
  library(nlme)
  library(mlmRev)
})
hsb82 <- mlmRev::Hsb82
students <- nlme::MathAchieve
schools <- nlme::MathAchSchool
write_full(data.frame(
  source = c("mlmRev::Hsb82", "mlmRev::Hsb82", "nlme::MathAchieve", "nlme::MathAchieve",
             "nlme::MathAchSchool"),
  quantity = c("students", "schools", "students", "schools", "schools"),
  value = c(nrow(hsb82), nlevels(droplevels(hsb82$school)), nrow(students),
            length(unique(students$School)), nrow(schools))
), "hsb_counts.csv")
# Per school, from Hsb82 (its minrty, sx, sector) and MathAchSchool (the school file).
per_school <- hsb82 %>%
  mutate(school = as.character(school)) %>%
  group_by(school) %>%
  summarise(n = n(), minority = sum(minrty == "Yes"), female = sum(sx == "Female"),
            mean_ses = mean(ses), mean_mathach = mean(mAch), sector = as.character(first(sector))) %>%
  ungroup()
school_file <- data.frame(school = as.character(schools$School), size = schools$Size,
                          sector_school_file = as.character(schools$Sector),
                          pracad = schools$PRACAD, disclim = schools$DISCLIM,
                          himinty = as.integer(as.character(schools$HIMINTY)),
                          meanses = schools$MEANSES)
write_full(merge(per_school, school_file, by = "school"), "hsb_by_school.csv")
# Whole-sample figures of the student file (nlme::MathAchieve).
write_full(data.frame(
  quantity = c("mean(MathAch)", "sd(MathAch)", "mean(SES)", "sum(Minority == 'Yes')",
               "sum(Sex == 'Female')", "sum(MEANSES)"),
  value = c(mean(students$MathAch), sd(students$MathAch), mean(students$SES),
            sum(students$Minority == "Yes"), sum(students$Sex == "Female"), sum(students$MEANSES))
), "hsb_students_summary.csv")
