# lme4 / lmerTest fits of the models in the chapter "Three levels and crossed factors"
# (book/three-levels.md), on the chapter's data.
#
# Run from the repository root:   Rscript book/data/three-levels.R
# Reads  book/data/three-levels-schools.csv and book/data/three-levels-ratings.csv, which
#        `.venv/bin/python book/data/three-levels-data.py` wrote with hlmtutor.simulate_schools and
#        hlmtutor.simulate_ratings (17 significant digits: R reads back the very same doubles).
# Writes book/data/three-levels-r-*.Rout (R's printed output, shown in the chapter's dropdowns) and
#        book/data/three-levels-lme4.csv (every estimate at full precision, for the comparison).
suppressMessages({library(lme4); library(lmerTest)})
source("tests/reference/_write.R")  # num17
source("book/data/_helpers.R")  # rows_of
folder <- "book/data"
if (!file.exists(file.path(folder, "three-levels-schools.csv"))) {
  stop("run from the repository root, after book/data/three-levels-data.py")
}
options(width = 80)  # R's default console width: the printed text depends on it

schools <- read.csv(file.path(folder, "three-levels-schools.csv"))
ratings <- read.csv(file.path(folder, "three-levels-ratings.csv"))

# Centering at three levels: within classroom, classroom mean within school, school mean.
schools$ses_cm <- ave(schools$ses, schools$classroom_id)
schools$ses_sm <- ave(schools$ses, schools$school_id)
schools$ses_cwc <- schools$ses - schools$ses_cm
schools$ses_cm_cws <- schools$ses_cm - schools$ses_sm
schools$ses_sm_gmc <- schools$ses_sm - mean(schools$ses_sm[!duplicated(schools$school_id)])

null3 <- lmer(math_score ~ 1 + (1 | school_id) + (1 | classroom_id), data = schools)
intercepts <- lmer(math_score ~ treatment + private + ses_cwc + ses_cm_cws + ses_sm_gmc +
                     (1 | school_id) + (1 | classroom_id), data = schools)
full <- lmer(math_score ~ treatment + private + ses_cwc + ses_cm_cws + ses_sm_gmc +
               (1 | school_id) + (1 + ses_cwc | classroom_id), data = schools)
lrt <- anova(intercepts, full)  # refits both by ML

crossed <- lmer(score ~ treatment + (1 | student_id) + (1 | rater_id), data = ratings)
students_only <- lmer(score ~ treatment + (1 | student_id), data = ratings)

save_text <- function(x, name) {
  writeLines(capture.output(print(x)), file.path(folder, paste0("three-levels-r-", name, ".Rout")))
}
save_text(summary(null3), "null")
save_text(summary(full), "full")
save_text(lrt, "lrt")
save_text(summary(crossed), "crossed")

# Every estimate, one row each: fixed effects (with SE and Satterthwaite df), the rows of
# as.data.frame(VarCorr(m)) (variances, covariances; sdcor: SDs and correlations), the REML
# criterion, and the likelihood-ratio test.
lrt_rows <- data.frame(model = "lrt", kind = "lrt",
                       parameter = c("deviance intercepts", "deviance full", "Chisq", "Pr(>Chisq)"),
                       estimate = c(lrt$deviance, lrt$Chisq[2], lrt[["Pr(>Chisq)"]][2]),
                       se = NA, df = NA)
table <- rbind(rows_of(null3, "null3"), rows_of(intercepts, "intercepts"), rows_of(full, "full"),
               rows_of(crossed, "crossed"), rows_of(students_only, "students_only"), lrt_rows)
rownames(table) <- NULL
for (column in c("estimate", "se", "df")) table[[column]] <- num17(table[[column]])
write.csv(table, file.path(folder, "three-levels-lme4.csv"), row.names = FALSE, na = "")
cat(sprintf("R %s, lme4 %s, lmerTest %s\n", getRversion(), packageVersion("lme4"),
            packageVersion("lmerTest")))
