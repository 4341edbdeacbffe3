# Reference values for lmer's fitting options and printing: lme4 1.1's lmer with subset=,
# contrasts= (contr.sum, contr.helmert, contr.poly), na.action = na.exclude (fitted, resid and
# predict padded with NA), predict(re.form = NULL / NA / ~0 / ~(1 | g)), a text column of digits
# as a factor, refitML, R's wrapping of wide printed tables, and lmerTest 3.1's anova rows for a
# term aliased away. Written to tests/reference/api/ for tests/test_lmm_fit.py,
# tests/test_lmm_prediction.py, tests/test_rprint.py and tests/test_toolbox.py. Run from the
# repository root: Rscript tests/reference/api.R
#
# As in engine.R, every data set is written with 17 significant digits and every model is fitted
# to the data AS READ BACK, so R and Python fit the same numbers.
suppressMessages({library(lme4)})
out <- "tests/reference/api"
dir.create(out, showWarnings = FALSE, recursive = TRUE)

source("tests/reference/_write.R")  # num17, wcsv, write_data, catch

# one row per model: its criterion, theta, fixed effects (names and values) and sigma
fits <- list()
record <- function(name, m) {
  fe <- fixef(m)
  fits[[name]] <<- data.frame(model = name, kind = c("crit", rep("theta", length(getME(m, "theta"))),
                                                     rep("fixef", length(fe)), "sigma"),
                              name = c("crit", names(getME(m, "theta")), names(fe), "sigma"),
                              value = c(if (isREML(m)) REMLcrit(m) else deviance(m), getME(m, "theta"), fe, sigma(m)))
}

# -- sleepstudy with two missing outcomes and a text column of digits ---------------------------
ss <- lme4::sleepstudy
sleep <- data.frame(Reaction = ss$Reaction, Days = ss$Days, Subject = as.character(ss$Subject),
                    stringsAsFactors = FALSE)
sleep$Reaction[c(1, 6, 40)] <- NA
# "1" < "10" < "2" < "9" as R sorts text: the factor's levels are not the numbers' order
sleep$dose <- c("1", "2", "9", "10")[sleep$Days %% 4 + 1]
sleep <- write_data(sleep, "sleep.csv", text = c("Subject", "dose"))

m_sub <- lmer(Reaction ~ Days + (Days | Subject), sleep, subset = Days >= 2)
record("subset_days", m_sub)
m_excl <- lmer(Reaction ~ Days + (Days | Subject), sleep, subset = Subject != "308",
               na.action = na.exclude)
record("exclude", m_excl)
wcsv(data.frame(fitted = fitted(m_excl), resid = residuals(m_excl), predict = predict(m_excl),
                predict_na = predict(m_excl, re.form = NA)),
     "exclude_padded.csv")
m_dose <- lmer(Reaction ~ dose + (1 | Subject), sleep)
record("dose_text", m_dose)

# predictions on new data: random terms chosen by re.form, a new and a missing subject
new <- data.frame(Days = c(0, 3, 7, 2, 5), Subject = c("308", "309", "372", "999", NA),
                  dose = c("1", "10", "9", "2", "1"), stringsAsFactors = FALSE)
wcsv(new, "newdata.csv")
m_two <- lmer(Reaction ~ Days + (1 | Subject) + (0 + Days | Subject), sleep)
record("two_terms", m_two)
m_corr <- lmer(Reaction ~ Days + (Days | Subject), sleep)
record("corr", m_corr)
wcsv(data.frame(
  two_all = predict(m_two, new, allow.new.levels = TRUE),
  two_none = predict(m_two, new, re.form = NA),
  two_int = predict(m_two, new, re.form = ~ (1 | Subject), allow.new.levels = TRUE),
  two_slope = predict(m_two, new, re.form = ~ (0 + Days | Subject), allow.new.levels = TRUE),
  corr_int = predict(m_corr, new, re.form = ~ (1 | Subject), allow.new.levels = TRUE),
  corr_zero = predict(m_corr, new, re.form = ~ 0)
), "newdata_predict.csv")

# -- cake with user contrasts ---------------------------------------------------------------------
ck <- lme4::cake
cake <- write_data(data.frame(angle = ck$angle, recipe = as.character(ck$recipe),
                              replicate = as.character(ck$replicate),
                              tempf = paste0("T", ck$temp), stringsAsFactors = FALSE),
                   "cake.csv", text = c("recipe", "replicate", "tempf"))
form <- angle ~ recipe * tempf + (1 | recipe:replicate)
record("cake_sum_poly", lmer(form, cake, contrasts = list(recipe = "contr.sum", tempf = "contr.poly")))
record("cake_helmert", lmer(form, cake, contrasts = list(recipe = "contr.helmert",
                                                        tempf = "contr.treatment")))
record("cake_sum_only", lmer(angle ~ tempf + (1 | recipe:replicate), cake,
                             contrasts = list(tempf = "contr.sum")))

# -- refitML starts from the REML theta ------------------------------------------------------------
ml <- refitML(m_corr)
record("corr_refitml", ml)


# -- wide tables: R wraps a printed matrix at width 80 ------------------------------------------
# a between-subject factor, so factor(Days) + grp has 12 fixed effects (lme4 prints their
# correlations up to 12) and the correlation table is wider than 80 columns
sleep$grp <- c("a", "b", "c")[as.integer(factor(sleep$Subject)) %% 3 + 1]
m_wide <- lmer(Reaction ~ factor(Days) + grp + (1 | Subject), sleep)
writeLines(capture.output(print(summary(m_wide), correlation = TRUE)),
           file.path(out, "wide_summary.txt"))
# print.default of character matrices (quote = FALSE), left and right justified
cells <- matrix(sprintf("%.*f", rep(0:4, length.out = 3 * 17), seq(0.5, by = 13.37, length.out = 3 * 17)),
                3, 17)
dimnames(cells) <- list(c("first", "second", "a third row"), paste0("column", 1:17))
writeLines(c(capture.output(print(cells, quote = FALSE, right = FALSE)),
             capture.output(print(cells, quote = FALSE, right = TRUE))),
           file.path(out, "wide_matrix.txt"))
wcsv(data.frame(cells, check.names = FALSE), "wide_matrix_cells.csv")

# -- anova with a term aliased away: lmerTest lists it last, lme4 not at all -------------------
suppressMessages(library(lmerTest))
sleep$D2 <- 2 * sleep$Days
m_alias <- lmerTest::lmer(Reaction ~ D2 + Days + grp + (1 | Subject), sleep)
wtable <- function(tab, name) {
  tab <- as.data.frame(tab, check.names = FALSE)
  wcsv(data.frame(row = rownames(tab), tab, check.names = FALSE), name)
}
wtable(anova(m_alias), "alias_anova_type3.csv")
wtable(anova(m_alias, type = 1), "alias_anova_type1.csv")
wtable(anova(m_alias, type = 2), "alias_anova_type2.csv")
wtable(anova(m_alias, ddf = "Kenward-Roger"), "alias_anova_kr.csv")
wtable(anova(m_alias, ddf = "lme4"), "alias_anova_lme4.csv")

# -- lme4's start: data-based for a model whose one random term is (1 | f) --------------------
start_of <- function(form, data) environment(lmer(form, data, devFunOnly = TRUE))$pp$theta
sleep$off <- 2 * sleep$Days
sleep$wt <- rep(c(1, 3), length.out = nrow(sleep))
wcsv(data.frame(
  model = c("ri", "ri_log", "ri_nofixed", "ri_offset_weights", "slope", "two_intercepts"),
  start = c(start_of(Reaction ~ Days + (1 | Subject), sleep),
            start_of(log(Reaction) ~ Days + (1 | Subject), sleep),
            start_of(Reaction ~ 1 + (1 | Subject), sleep),
            environment(lmer(Reaction ~ Days + (1 | Subject), sleep, offset = off, weights = wt,
                             devFunOnly = TRUE))$pp$theta,
            start_of(Reaction ~ Days + (0 + Days | Subject), sleep),
            start_of(Reaction ~ Days + (1 | Subject) + (1 | dose), sleep)[1])
), "starts.csv")

# -- subset= with per-row weights, and in glmer ---------------------------------------------------
m_w <- lme4::lmer(Reaction ~ Days + (1 | Subject), sleep, weights = wt, subset = Days > 0)
cb <- write_data(data.frame(incidence = cbpp$incidence, size = cbpp$size,
                            period = as.character(cbpp$period), herd = as.character(cbpp$herd),
                            stringsAsFactors = FALSE), "cbpp.csv", text = c("period", "herd"))
g_sub <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cb, family = binomial,
               subset = herd != "1")
wcsv(data.frame(model = c(rep("weights_subset", 3), rep("glmer_subset", 6)),
                name = c("loglik", names(fixef(m_w)), "loglik", names(fixef(g_sub)), "theta"),
                value = c(logLik(m_w), fixef(m_w), logLik(g_sub), fixef(g_sub), getME(g_sub, "theta"))),
     "subset_more.csv")

# -- an ordered factor: R's default contrasts are contr.poly --------------------------------------
cake_ord <- cake
cake_ord$tempf <- factor(cake_ord$tempf, ordered = TRUE)
record("cake_ordered", lme4::lmer(angle ~ recipe + tempf + (1 | recipe:replicate), cake_ord))
record("cake_ordered_treatment", lme4::lmer(angle ~ recipe + tempf + (1 | recipe:replicate), cake_ord,
                                           contrasts = list(tempf = "contr.treatment")))
wcsv(do.call(rbind, fits), "fits.csv")
