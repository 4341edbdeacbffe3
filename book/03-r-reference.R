# R's own printout of the steps chapters 3-5 compare against, written next to the chapters.
# Run from the repository root: Rscript book/03-r-reference.R
# (Debian: r-base-core; no package beyond base R is needed for these steps.)
# The lines below are the guide's simulation; its centering uses base R for what
# MLMusingR::group_center and misty::center(type = "CGM") compute (see the guide's README).
set.seed(123)
n_classrooms <- 12
n_students <- 10
math_score_ctrl <- rnorm(n_classrooms * n_students, mean = 50, sd = 10)
math_score_trt <- rnorm(n_classrooms * n_students, mean = 55, sd = 7)
math_score <- c(math_score_ctrl, math_score_trt)
ses <- c(rnorm(n_classrooms * n_students, mean = 50, sd = 10))
intervention <- rep(c(0, 1), each = n_classrooms * n_students / 2)
classroom_id <- rep(1:n_classrooms, each = n_students * 2)
student_id <- rep(1:(n_students * 2), times = n_classrooms)
data <- data.frame(math_score, intervention, classroom_id, student_id, ses)

out <- function(file, expr) writeLines(capture.output(expr), file.path("book", file))
out("03-r-head.Rout", print(head(data)))
out("04-r-summary.Rout", print(summary(data)))

data$ses_grpmean <- ave(data$ses, data$classroom_id)
data$ses_mc <- data$ses - data$ses_grpmean
cluster_values <- data$ses_grpmean[!duplicated(data$classroom_id)]
data$ses_gmc <- data$ses_grpmean - mean(cluster_values)
out("05-r-head-centered.Rout", print(head(data), width = 200))
