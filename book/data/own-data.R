# The chapter "Your own data, start to finish" (book/own-data.md) in R, on the same CSV file.
#
# Run from the repository root:  Rscript book/data/own-data.R
# (R 4.2.2, lme4 1.1-31, lmerTest 3.1-3, dplyr). Writes, next to this script:
#   own-data-lme4.csv  every estimate the chapter compares with hlmtutor, at full precision
#                      (columns model, table, term, statistic, value);
#   own-data.Rout      what R prints at each step, in sections headed "#### <step>".
# Never edit those files by hand: rerun this script.

suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(dplyr)
})

out_dir <- "book/data"
rout <- file.path(out_dir, "own-data.Rout")
cat("", file = rout)
source("book/data/_helpers.R")  # section

# 1. Read. Empty cells are missing values in text columns too (na.strings), as pandas reads them.
survey <- read.csv("hlmtutor/data/school_survey.csv", na.strings = c("", "NA"))
section("read", {
  str(survey)
  print(colSums(is.na(survey)))
  print(summary(as.vector(table(survey$school_id))))
})

# 2. Models fitted to different rows cannot be compared.
null_all <- lmer(score ~ 1 + (1 | school_id), data = survey)
slope_all <- lmer(score ~ ses + (1 + ses | school_id), data = survey)
refusal <- tryCatch(anova(null_all, slope_all), error = function(e) conditionMessage(e))
section("refusal", {
  cat("nobs:", nobs(null_all), nobs(slope_all), "\n")
  cat(refusal, "\n")
})

# 3. A school without its level-2 value drops out; lme4 does not say which.
lost_fit <- lmer(score ~ teacher_exp + (1 | school_id), data = survey)
section("lost", {
  cat("nobs:", nobs(lost_fit), "\n")
  print(ngrps(lost_fit))
  all_schools <- unique(survey$school_id)
  print(setdiff(all_schools, unique(model.frame(lost_fit)$school_id)))
})

# 4. Complete cases on the columns of the largest model, then centering on those rows.
analysis <- survey %>%
  filter(complete.cases(score, ses, gender, sector, teacher_exp, school_id)) %>%
  group_by(school_id) %>%
  mutate(ses_cm = mean(ses), ses_cwc = ses - ses_cm) %>%
  ungroup()
schools <- distinct(analysis, school_id, ses_cm, teacher_exp)
analysis <- analysis %>%
  mutate(
    ses_cm_gmc = ses_cm - mean(schools$ses_cm),
    teacher_exp_gmc = teacher_exp - mean(schools$teacher_exp),
    ses_gmc = ses - mean(ses)
  )

# 5. The null model and the ICC.
null <- lmer(score ~ 1 + (1 | school_id), data = analysis)
vc <- as.data.frame(VarCorr(null))
icc <- vc$vcov[1] / sum(vc$vcov)
section("null", {
  print(summary(null))
  cat("ICC:", icc, "\n")
})

# 6. A categorical predictor: a text column (levels in alphabetical order, the first is the
#    reference), then a factor with Public as the reference level.
sector_text <- lmer(score ~ sector + (1 | school_id), data = analysis)
analysis$sector <- relevel(factor(analysis$sector), ref = "Public")
sector_public <- lmer(score ~ sector + (1 | school_id), data = analysis)
section("sector", {
  print(coef(summary(sector_text)))
  print(coef(summary(sector_public)))
  print(anova(sector_public))
})

# 7. Centering: within-school (CWC) and grand-mean (CGM) SES.
intercepts <- lmer(score ~ ses_cwc + ses_cm_gmc + gender + sector + teacher_exp_gmc +
                     (1 | school_id), data = analysis)
grand <- lmer(score ~ ses_gmc + ses_cm_gmc + gender + sector + teacher_exp_gmc +
                (1 | school_id), data = analysis)
section("centering", {
  print(coef(summary(intercepts)))
  print(coef(summary(grand)))
  cat("REML criteria:", REMLcrit(intercepts), REMLcrit(grand), "\n")
})

# 8. The random slope and its likelihood-ratio test, corrected for the boundary.
slopes <- lmer(score ~ ses_cwc + ses_cm_gmc + gender + sector + teacher_exp_gmc +
                 (1 + ses_cwc | school_id), data = analysis)
lrt <- anova(intercepts, slopes)
chisq <- lrt$Chisq[2]
p_boundary <- 0.5 * pchisq(chisq, 1, lower.tail = FALSE) + 0.5 * pchisq(chisq, 2, lower.tail = FALSE)
type3 <- anova(slopes)
section("slope", {
  print(summary(slopes))
  print(lrt)
  cat("boundary-corrected p:", p_boundary, "\n")
  print(type3)
})

# Everything the chapter compares, at full precision.
long <- list()
add <- function(model, table, term, statistic, value) {
  long[[length(long) + 1]] <<- data.frame(model = model, table = table, term = term,
                                          statistic = statistic, value = value)
}
fits <- list(null_model = null, sector_text = sector_text, sector_public = sector_public,
             intercepts = intercepts, grand = grand, slopes = slopes)
for (name in names(fits)) {
  fit <- fits[[name]]
  co <- coef(summary(fit))
  for (column in c("Estimate", "Std. Error", "df", "t value", "Pr(>|t|)")) {
    add(name, "fixef", rownames(co), column, co[, column])
  }
  v <- as.data.frame(VarCorr(fit))
  term <- ifelse(is.na(v$var2), paste(v$grp, v$var1), paste(v$grp, v$var1, v$var2))
  term <- sub(" NA$", "", term)
  add(name, "varcorr", term, "vcov", v$vcov)
  add(name, "varcorr", term, "sdcor", v$sdcor)
  add(name, "fit", "REML criterion", "value", REMLcrit(fit))
  add(name, "fit", "nobs", "value", nobs(fit))
  add(name, "fit", "ngrps", "value", as.numeric(ngrps(fit)))
}
add("null_model", "fit", "ICC", "value", icc)
add("slopes", "lrt", "intercepts vs slopes", "Chisq", chisq)
add("slopes", "lrt", "intercepts vs slopes", "Df", lrt$Df[2])
add("slopes", "lrt", "intercepts vs slopes", "Pr(>Chisq)", lrt$`Pr(>Chisq)`[2])
add("slopes", "lrt", "intercepts vs slopes", "boundary p", p_boundary)
for (column in c("NumDF", "DenDF", "F value", "Pr(>F)")) {
  add("slopes", "type3", rownames(type3), column, type3[[column]])
}
add("sector_public", "type3", "sector", "F value", anova(sector_public)[["F value"]])
add("sector_public", "type3", "sector", "DenDF", anova(sector_public)[["DenDF"]])
add("refusal", "fit", "nobs null_all", "value", nobs(null_all))
add("refusal", "fit", "nobs slope_all", "value", nobs(slope_all))
add("lost", "fit", "ngrps", "value", as.numeric(ngrps(lost_fit)))

write.csv(do.call(rbind, long), file.path(out_dir, "own-data-lme4.csv"), row.names = FALSE)
cat("wrote", file.path(out_dir, "own-data-lme4.csv"), "and", rout, "\n")
