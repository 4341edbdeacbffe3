# The guide's simulation (its data.frame of 240 rows), shared by the scripts that need the guide's
# data at full precision: tests/reference/foundation.R, tests/reference/models.R and
# book/03-r-reference.R source this file from the repository root. It writes nothing itself.
# (tests/reference/guide.R keeps its own copy: it is the guide's script as the guide has it.
# tests/reference/guide_data.csv holds 15 significant digits only, so it is no substitute here.)
# Leaves `data` and the guide's variables in the calling environment and R's generator where
# the guide leaves it.
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
