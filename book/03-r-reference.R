# R's own printout of the steps chapters 3-5 compare against, written next to the chapters.
# Run from the repository root: Rscript book/03-r-reference.R
# (Debian: r-base-core; no package beyond base R is needed for these steps.)
# The guide's simulation is tests/reference/guide_simulation.R (shared with the test references);
# the centering below uses base R for what MLMusingR::group_center and misty::center(type = "CGM")
# compute (see the guide's README).
source("tests/reference/guide_simulation.R")

out <- function(file, expr) writeLines(capture.output(expr), file.path("book", file))
out("03-r-head.Rout", print(head(data)))
out("04-r-summary.Rout", print(summary(data)))

data$ses_cm <- ave(data$ses, data$classroom_id)
data$ses_cwc <- data$ses - data$ses_cm
cluster_values <- data$ses_cm[!duplicated(data$classroom_id)]
data$ses_cm_gmc <- data$ses_cm - mean(cluster_values)
data$ses_gmc <- data$ses - mean(data$ses)
out("05-r-head-centered.Rout", print(head(data), width = 200))
