# The guide's code as one script: a copy of ../shared/guide/guide.R that changes only where it writes files.
# Run from the repository root:  Rscript tests/reference/guide.R
# Writes tests/reference/guide-output.txt (everything R prints, which tests/test_site.py parses for the
# numbers the null-model and full-model chapters must show) and tests/reference/guide_data.csv.
sink("tests/reference/guide-output.txt")
# The guide's code as one script (Debian: r-base-core r-cran-lme4 r-cran-lmertest r-cran-psych r-cran-dplyr).
set.seed(123)
n_classrooms <- 12
n_students <- 10
math_score_ctrl <- rnorm(n_classrooms*n_students, mean = 50, sd = 10)
math_score_trt <- rnorm(n_classrooms*n_students, mean = 55, sd = 7)
math_score <- c(math_score_ctrl, math_score_trt)
ses <- c(rnorm(n_classrooms*n_students, mean = 50, sd = 10))
intervention <- rep(c(0,1), each = n_classrooms*n_students/2)
classroom_id <- rep(1:n_classrooms, each = n_students*2)
student_id <- rep(1:(n_students*2), times = n_classrooms)
data <- data.frame(math_score, intervention, classroom_id, student_id, ses)
write.csv(data, "tests/reference/guide_data.csv", row.names = FALSE)
print(head(data))
print(summary(data))
suppressMessages({library(dplyr); library(psych)})
print(data %>% group_by(classroom_id) %>% summarise(n = n()) %>% ungroup(), n = 12)
print(data %>% group_by(classroom_id) %>% summarise(mean = mean(math_score), sd = sd(math_score)) %>% ungroup(), n = 12)
print(describeBy(data, group = "classroom_id"))
# Centering: misty and MLMusingR are not in Debian; these base-R lines compute what they compute here.
data$ses_grpmean <- ave(data$ses, data$classroom_id)
data$ses_mc <- data$ses - data$ses_grpmean
cluster_values <- data$ses_grpmean[!duplicated(data$classroom_id)]
data$ses_gmc <- data$ses_grpmean - mean(cluster_values)
print(head(data))
suppressMessages({library(lme4); library(lmerTest)})
null_model <- lmer(math_score ~ 1 + (1 | classroom_id), data = data)
print(summary(null_model))
full_model <- lmer(math_score ~ intervention + ses + intervention*ses + (1 + intervention | classroom_id), data = data)
print(summary(full_model))
print(getME(full_model, "theta"), digits = 10)
print(packageVersion("lme4")); print(packageVersion("lmerTest"))
sink()
