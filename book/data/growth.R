# The chapter "Growth: repeated measures as a two-level model" (book/growth.md) in R.
#
# Run from the repository root:  Rscript book/data/growth.R
# (R 4.2.2, lme4 1.1-31, lmerTest 3.1-3, nlme 3.1, mlmRev 1.0-8). Writes, next to this script:
#   growth-early.csv     mlmRev's Early (Burchinal et al. 1997; Singer & Willett 2003, ch. 3):
#                        103 infants' cognitive scores at ages 1, 1.5 and 2;
#   growth-egsingle.csv  mlmRev's egsingle (US Sustaining Effects Study, as distributed with the HLM
#                        program): 1,721 pupils' mathematics scores over up to six years, in 60
#                        schools; the columns the chapter uses;
#   growth-lme4.csv      every lme4/lmerTest estimate the chapter compares with hlmtutor, at full
#                        precision (columns model, kind, parameter, estimate, se, df);
#   growth-nlme.csv      the nlme::lme fits with residual structures, same layout;
#   growth.Rout          what R prints at each step, in sections headed "#### <step>".
# The data sets' values have at most four significant digits, so write.csv writes them exactly;
# all models are fitted to the files as read back, the very numbers Python reads.
# Never edit the outputs by hand: rerun this script.

suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(nlme)
  library(mlmRev)
})
lmer <- lmerTest::lmer  # nlme, loaded last, masks a few lme4 names; lmer stays lmerTest's

out_dir <- "book/data"
if (!dir.exists(out_dir)) stop("run from the repository root")
options(width = 80)  # R's default console width: the printed text depends on it
rout <- file.path(out_dir, "growth.Rout")
cat("", file = rout)
source("tests/reference/_write.R")  # num17
source("book/data/_helpers.R")  # section, rows_of

# 1. The data, written as plain CSV and read back.
early_out <- data.frame(id = as.integer(as.character(Early$id)), age = Early$age, cog = Early$cog,
                        trt = as.character(Early$trt))
early_out <- early_out[order(early_out$id, early_out$age), ]
write.csv(early_out, file.path(out_dir, "growth-early.csv"), row.names = FALSE)
eg_out <- with(egsingle, data.frame(
  schoolid = as.integer(as.character(schoolid)), childid = as.integer(as.character(childid)),
  year = year, grade = grade, math = math, retained = as.integer(as.character(retained)),
  female = as.integer(female == "Female"), lowinc = lowinc
))
eg_out <- eg_out[order(eg_out$schoolid, eg_out$childid, eg_out$year), ]
write.csv(eg_out, file.path(out_dir, "growth-egsingle.csv"), row.names = FALSE)

early <- read.csv(file.path(out_dir, "growth-early.csv"))
eg <- read.csv(file.path(out_dir, "growth-egsingle.csv"))

# 2. Wide and back to long (base R's reshape; tidyr's pivot_wider/pivot_longer do the same).
wide <- reshape(early, idvar = c("id", "trt"), timevar = "age", direction = "wide")
long <- reshape(wide, direction = "long")
section("wide", print(head(wide, 4)))

# 3. Time codes: intercept at the first wave, or at mid-study.
early$age_c <- early$age - 1
early$age_mid <- early$age - 1.5
early$wave <- as.integer(round(2 * early$age - 1))  # 1, 2, 3

means <- lmer(cog ~ 1 + (1 | id), data = early)
growth <- lmer(cog ~ age_c + (age_c | id), data = early)
growth_mid <- lmer(cog ~ age_mid + (age_mid | id), data = early)
quadratic <- lmer(cog ~ age_c + I(age_c^2) + (age_c | id), data = early)
trt_slope <- lmer(cog ~ age_c * trt + (age_c | id), data = early)
trt_uncor <- lmer(cog ~ age_c * trt + (age_c || id), data = early)
trt_int <- lmer(cog ~ age_c * trt + (1 | id), data = early)
lrt_slope <- anova(trt_int, trt_slope, refit = FALSE)  # same fixed part: REML comparison

section("means", print(summary(means)))
section("growth", print(summary(growth)))
section("growth_mid", print(VarCorr(growth_mid)))
section("quadratic", print(summary(quadratic)$coefficients))
section("trt_slope", {
  print(summary(trt_slope))
  cat("isSingular:", isSingular(trt_slope), "\n")
})
section("lrt_slope", print(lrt_slope))

# 4. Residual structures (nlme): random intercept with AR(1) errors, with one residual SD per
#    wave, and the random slope; same fixed part, REML, compared by AIC and REML LRTs.
fixed <- cog ~ age_c * trt
n_int <- lme(fixed, random = ~ 1 | id, data = early)
n_ar1 <- lme(fixed, random = ~ 1 | id, correlation = corAR1(form = ~ wave | id), data = early)
n_ident <- lme(fixed, random = ~ 1 | id, weights = varIdent(form = ~ 1 | wave), data = early)
n_slope <- lme(fixed, random = ~ age_c | id, data = early,
               control = lmeControl(opt = "optim"))
section("n_ar1", print(summary(n_ar1)))
section("n_ident", print(summary(n_ident)))
section("n_compare", {
  print(anova(n_int, n_ar1))
  print(anova(n_int, n_ident))
  print(AIC(n_int, n_ar1, n_ident, n_slope))
})

# 5. egsingle: a time-varying predictor, centred within child; then three levels.
eg$retained_pm <- ave(eg$retained, eg$childid)
eg$retained_wc <- eg$retained - eg$retained_pm
g_growth <- lmer(math ~ year + (year | childid), data = eg)
g_retained <- lmer(math ~ year + retained_wc + retained_pm + (year | childid), data = eg)
g_three <- lmer(math ~ year + (year | schoolid) + (year | childid), data = eg)
school_lowinc <- eg$lowinc[!duplicated(eg$schoolid)]
eg$lowinc_gmc <- (eg$lowinc - mean(school_lowinc)) / 10
g_lowinc <- lmer(math ~ year * lowinc_gmc + (year | schoolid) + (year | childid), data = eg)
section("g_retained", print(summary(g_retained)$coefficients))
section("g_three", print(summary(g_three)))
section("g_lowinc", print(summary(g_lowinc)$coefficients))

# Every estimate, one row each (rows_of, as book/data/three-levels.R writes them).
lme4_fits <- list(means = means, growth = growth, growth_mid = growth_mid, quadratic = quadratic,
                  trt_slope = trt_slope, trt_uncor = trt_uncor, trt_int = trt_int,
                  g_growth = g_growth, g_retained = g_retained, g_three = g_three,
                  g_lowinc = g_lowinc)
table <- do.call(rbind, Map(rows_of, lme4_fits, names(lme4_fits)))
table <- rbind(table, data.frame(model = "lrt_slope", kind = "lrt",
                                 parameter = c("Chisq", "Pr(>Chisq)"),
                                 estimate = c(lrt_slope$Chisq[2], lrt_slope[["Pr(>Chisq)"]][2]),
                                 se = NA, df = NA))
rownames(table) <- NULL
for (column in c("estimate", "se", "df")) table[[column]] <- num17(table[[column]])
write.csv(table, file.path(out_dir, "growth-lme4.csv"), row.names = FALSE, na = "")

nlme_rows <- function(m, model) {
  tt <- summary(m)$tTable
  fixef_rows <- data.frame(model = model, kind = "fixef", parameter = rownames(tt),
                           estimate = tt[, "Value"], se = tt[, "Std.Error"], df = tt[, "DF"])
  fit_rows <- data.frame(model = model, kind = "fit", parameter = c("logLik", "AIC", "sigma"),
                         estimate = c(as.numeric(logLik(m)), AIC(m), m$sigma), se = NA, df = NA)
  rows <- rbind(fixef_rows, fit_rows)
  if (!is.null(m$modelStruct$corStruct)) {
    phi <- coef(m$modelStruct$corStruct, unconstrained = FALSE)
    rows <- rbind(rows, data.frame(model = model, kind = "correlation", parameter = "Phi",
                                   estimate = unname(phi), se = NA, df = NA))
  }
  if (!is.null(m$modelStruct$varStruct)) {
    ratios <- coef(m$modelStruct$varStruct, unconstrained = FALSE, allCoef = TRUE)
    rows <- rbind(rows, data.frame(model = model, kind = "variance", parameter = names(ratios),
                                   estimate = unname(ratios), se = NA, df = NA))
  }
  rows
}
nlme_table <- rbind(nlme_rows(n_int, "n_int"), nlme_rows(n_ar1, "n_ar1"),
                    nlme_rows(n_ident, "n_ident"), nlme_rows(n_slope, "n_slope"))
rownames(nlme_table) <- NULL
for (column in c("estimate", "se", "df")) nlme_table[[column]] <- num17(nlme_table[[column]])
write.csv(nlme_table, file.path(out_dir, "growth-nlme.csv"), row.names = FALSE, na = "")

cat(sprintf("R %s, lme4 %s, lmerTest %s, nlme %s, mlmRev %s\n", getRversion(),
            packageVersion("lme4"), packageVersion("lmerTest"), packageVersion("nlme"),
            packageVersion("mlmRev")))
