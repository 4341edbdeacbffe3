# Reference values for tests/test_toolbox.py: lmerTest 3.1-3's contest, contest1D, anova and
# summary with Satterthwaite and Kenward-Roger df, ranova, drop1, ls_means, difflsmeans, and
# pbkrtest 0.5.2's vcovAdj, get_Lb_ddf, KRmodcomp and PBmodcomp (its LRT only), written to
# tests/reference/toolbox/. Run from the repository root: Rscript tests/reference/toolbox.R
#
# As in engine.R, every data set is written with 17 significant digits and every model is fitted
# to the data AS READ BACK, so R and Python fit the same numbers.
suppressMessages({library(lme4); library(lmerTest); library(pbkrtest)})
out <- "tests/reference/toolbox"
dir.create(out, showWarnings = FALSE, recursive = TRUE)

source("tests/reference/_write.R")  # num17, wcsv, write_data, catch

# a table with its row names in a first column "row"
wtable <- function(tab, name) {
  tab <- as.data.frame(tab, check.names = FALSE)
  wcsv(data.frame(row = rownames(tab), tab, check.names = FALSE), name)
}

# -- data --------------------------------------------------------------------------------------
sleepstudy <- write_data(lme4::sleepstudy, "sleepstudy.csv", factors = "Subject")
ck <- lme4::cake
cake <- data.frame(angle = ck$angle, recipe = ck$recipe, replicate = ck$replicate,
                   temp = ck$temp, tempf = paste0("T", ck$temp))
cake <- write_data(cake, "cake.csv", factors = c("recipe", "replicate", "tempf"))
Pastes <- write_data(lme4::Pastes, "Pastes.csv", factors = c("batch", "cask", "sample"))
Penicillin <- write_data(lme4::Penicillin, "Penicillin.csv", factors = c("plate", "sample"))
# a three-level data set of engine.R (random slope at one level, nested intercepts)
three <- write_data(read.csv("tests/reference/engine/three.csv", stringsAsFactors = FALSE),
                    "three.csv", factors = c("school", "class"))

sleep <- lmer(Reaction ~ Days + (Days | Subject), sleepstudy)
sleep_ri <- lmer(Reaction ~ Days + (1 | Subject), sleepstudy)
sleep_diag <- lmer(Reaction ~ Days + (Days || Subject), sleepstudy)
cake_int <- lmer(angle ~ recipe * temp + (1 | recipe:replicate), cake)
cake_two <- lmer(angle ~ recipe + tempf + (1 | replicate), cake)
cake_fx <- lmer(angle ~ recipe * tempf + (1 | replicate), cake)
pastes <- lmer(strength ~ 1 + (1 | batch/cask), Pastes)
penicillin <- lmer(diameter ~ 1 + (1 | plate) + (1 | sample), Penicillin)
three_rs <- lmer(y ~ x + w + (1 + x | school) + (1 | school:class), three)
models <- list(sleep = sleep, sleep_ri = sleep_ri, sleep_diag = sleep_diag,
               cake_int = cake_int, cake_two = cake_two, cake_fx = cake_fx,
               pastes = pastes, penicillin = penicillin, three_rs = three_rs)
data_files <- c(sleep = "sleepstudy.csv", sleep_ri = "sleepstudy.csv",
                sleep_diag = "sleepstudy.csv", cake_int = "cake.csv", cake_two = "cake.csv",
                cake_fx = "cake.csv", pastes = "Pastes.csv", penicillin = "Penicillin.csv",
                three_rs = "three.csv")
forms <- vapply(models, function(m) deparse1(formula(m)), "")
forms[["sleep_diag"]] <- "Reaction ~ Days + (Days || Subject)"  # lmerTest stores it expanded
wcsv(data.frame(name = names(models), data_file = unname(data_files[names(models)]),
                formula = unname(forms),
                REML = vapply(models, isREML, TRUE)), "models.csv")

# -- coefficient tables (lmerTest's summary with each ddf), vcov, the KR-adjusted vcov -----------
for (name in names(models)) {
  m <- models[[name]]
  for (ddf in c("Satterthwaite", "Kenward-Roger", "lme4")) {
    tag <- c(Satterthwaite = "sat", `Kenward-Roger` = "kr", lme4 = "lme4")[[ddf]]
    wtable(coef(summary(m, ddf = ddf)), paste0(name, "_coef_", tag, ".csv"))
  }
  wtable(as.matrix(vcov(m)), paste0(name, "_vcov.csv"))
  wtable(as.matrix(vcovAdj(m)), paste0(name, "_vcovadj.csv"))
  p <- length(fixef(m))
  # pbkrtest's df for each unit contrast
  wcsv(data.frame(term = names(fixef(m)),
                  ddf = vapply(seq_len(p), function(j) {
                    L <- matrix(0, 1, p); L[j] <- 1; get_Lb_ddf(m, L)
                  }, 0)), paste0(name, "_lb_ddf.csv"))
  if (p > 1) {
    for (ddf in c("Satterthwaite", "Kenward-Roger")) {
      tag <- c(Satterthwaite = "sat", `Kenward-Roger` = "kr")[[ddf]]
      wtable(anova(m, ddf = ddf), paste0(name, "_anova_", tag, ".csv"))
    }
    wtable(drop1(m), paste0(name, "_drop1.csv"))
    for (type in 1:2) wtable(anova(m, type = type), paste0(name, "_anova_type", type, ".csv"))
    wtable(anova(m, ddf = "lme4"), paste0(name, "_anova_lme4.csv"))
  }
  wtable(ranova(m), paste0(name, "_ranova.csv"))
  wtable(ranova(m, reduce.terms = FALSE), paste0(name, "_ranova_whole.csv"))
}

# -- contest: a named pair of contrasts on each multi-coefficient model --------------------------
contrasts <- list(
  sleep = rbind(c(1, 0), c(1, 10)),
  cake_int = rbind(c(0, 1, -1, 0, 0, 0), c(0, 0, 0, 1, 0.5, 0.5)),
  cake_two = rbind(c(0, 1, 0, 0, 0, 0, 0, 0), c(0, 0, 0, 0, 0, 0, 1, -1)),
  cake_fx = rbind(c(0, 1, 0, rep(0, 15)), c(0, 0, 1, rep(0, 15)))
)
for (name in names(contrasts)) {
  m <- models[[name]]
  L <- contrasts[[name]]
  rownames(L) <- c("first", "second")
  wtable(L, paste0(name, "_L.csv"))
  for (ddf in c("Satterthwaite", "Kenward-Roger")) {
    tag <- c(Satterthwaite = "sat", `Kenward-Roger` = "kr")[[ddf]]
    wtable(contest(m, L, joint = TRUE, ddf = ddf), paste0(name, "_contest_", tag, ".csv"))
    wtable(contest(m, L, joint = FALSE, ddf = ddf), paste0(name, "_contest1d_", tag, ".csv"))
  }
  kr <- KRmodcomp(m, L)
  wtable(kr$test, paste0(name, "_krmodcomp.csv"))
}

# -- ls_means and difflsmeans ---------------------------------------------------------------------
lsm <- list(cake_int = "recipe", cake_two = c("recipe", "tempf"), cake_fx = c("recipe", "tempf", "recipe:tempf"))
for (name in names(lsm)) {
  for (term in lsm[[name]]) {
    m <- models[[name]]
    wtable(as.data.frame(ls_means(m, which = term)), paste0(name, "_lsmeans_", sub(":", "_", term), ".csv"))
    wtable(as.data.frame(difflsmeans(m, which = term)),
           paste0(name, "_difflsmeans_", sub(":", "_", term), ".csv"))
  }
}

# -- ls_means on a rank-deficient model: an empty cell makes some means not estimable (NA) -------
cake_gap <- write_data(subset(cake, !(recipe == "C" & tempf == "T175")), "cake_gap.csv",
                       factors = c("recipe", "replicate", "tempf"))
gap <- lmer(angle ~ recipe * tempf + (1 | replicate), cake_gap)
gap_two <- lmer(angle ~ recipe + tempf + (1 | replicate), cake_gap)  # unbalanced, full rank
wtable(as.data.frame(ls_means(gap_two, which = "recipe")), "cake_gap_two_lsmeans_recipe.csv")
wtable(as.data.frame(difflsmeans(gap_two, which = "tempf")), "cake_gap_two_difflsmeans_tempf.csv")
for (term in c("recipe", "tempf")) {
  wtable(as.data.frame(ls_means(gap, which = term)), paste0("cake_gap_lsmeans_", term, ".csv"))
  wtable(as.data.frame(difflsmeans(gap, which = term)),
         paste0("cake_gap_difflsmeans_", term, ".csv"))
}

# -- PBmodcomp: its LRT and chi-square p-value (the bootstrap draws differ between R and Python) ----
pb_pairs <- list(
  sleep_days = list(big = sleep, small = lmer(Reaction ~ 1 + (Days | Subject), sleepstudy)),
  sleep_slope = list(big = sleep, small = sleep_ri)
)
rows <- list()
for (name in names(pb_pairs)) {
  set.seed(1)
  pb <- PBmodcomp(pb_pairs[[name]]$big, pb_pairs[[name]]$small, nsim = 20)
  t <- pb$test
  rows[[name]] <- data.frame(name = name, small_formula = deparse1(formula(pb_pairs[[name]]$small)),
                             big_formula = deparse1(formula(pb_pairs[[name]]$big)),
                             LRT = t["LRT", "stat"], df = t["LRT", "df"],
                             p_chisq = t["LRT", "p.value"])
}
wcsv(do.call(rbind, rows), "pbmodcomp.csv")

# -- update: a refit with a changed formula -------------------------------------------------------
wtable(coef(summary(update(sleep, . ~ . - Days))), "update_drop_days_coef.csv")
wtable(coef(summary(update(cake_two, . ~ . + temp - tempf))), "update_cake_coef.csv")

# -- boot's quantiles of bootstrap replicates (lme4's confint.bootMer calls boot.ci) -------------
set.seed(2)
for (R in c(39L, 99L, 250L)) {
  t <- rexp(R)
  q <- boot:::norm.inter(t, c(0.025, 0.975, 0.05, 0.95))
  wcsv(data.frame(t = t), paste0("boot_t_", R, ".csv"))
  wcsv(data.frame(alpha = c(0.025, 0.975, 0.05, 0.95), rank = q[, 1], quantile = q[, 2]),
       paste0("boot_quantiles_", R, ".csv"))
  # boot's normal interval with t0 = 1: t0 - bias -/+ z sd(t)
  n95 <- boot::norm.ci(t0 = 1, t = t, conf = 0.95)
  n90 <- boot::norm.ci(t0 = 1, t = t, conf = 0.90)
  wcsv(data.frame(level = c(0.95, 0.90), lower = c(n95[2], n90[2]), upper = c(n95[3], n90[3])),
       paste0("boot_norm_", R, ".csv"))
}
