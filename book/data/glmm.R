# The chapter "Binary and count outcomes: generalised linear mixed models" (book/glmm.md) in R.
#
# Run from the repository root:  Rscript book/data/glmm.R
# (R 4.2.2, lme4 1.1-31, mlmRev 1.0-8). Writes, next to this script:
#   glmm-contraception.csv  mlmRev's Contraception (1988 Bangladesh Fertility Survey; Huq & Cleland
#                           1990): 1,934 women in 60 districts, contraceptive use (0/1), centred
#                           age, urban residence, number of living children;
#   glmm-mmmec.csv          mlmRev's Mmmec (Langford et al. 1998): malignant melanoma deaths and the
#                           expected deaths in 354 counties of 78 regions of 9 European nations,
#                           with the centred UVB dose;
#   glmm-small-clusters.csv a simulated data set with small clusters (set.seed below): 150 clusters
#                           of 4 binary outcomes, where adaptive quadrature matters;
#   glmm-lme4.csv           every lme4 estimate the chapter compares with hlmtutor, at full
#                           precision (columns model, kind, parameter, estimate, se);
#   glmm.Rout               what R prints at each step, in sections headed "#### <step>".
# Numbers are written with 17 significant digits (they read back to the same doubles) and all
# models are fitted to the files as read back, the very numbers Python reads.
# Never edit the outputs by hand: rerun this script.

suppressPackageStartupMessages({
  library(lme4)
  library(mlmRev)
})

out_dir <- "book/data"
if (!dir.exists(out_dir)) stop("run from the repository root")
options(width = 80)  # R's default console width: the printed text depends on it
rout <- file.path(out_dir, "glmm.Rout")
cat("", file = rout)
source("book/data/_helpers.R")  # section
write17 <- function(df, file) {
  for (j in seq_along(df)) {
    if (is.double(df[[j]]) || is.logical(df[[j]])) {
      df[[j]] <- ifelse(is.na(df[[j]]), NA_character_, sprintf("%.17g", df[[j]]))
    }
  }
  write.csv(df, file.path(out_dir, file), row.names = FALSE, na = "")
}

# 1. The data, written as plain CSV and read back.
co_out <- with(Contraception, data.frame(
  woman = as.integer(as.character(woman)), district = as.integer(as.character(district)),
  use = as.integer(use == "Y"), age = age, urban = as.character(urban),
  livch = as.character(livch)
))
write17(co_out, "glmm-contraception.csv")
mm_out <- with(Mmmec, data.frame(
  nation = as.character(nation), region = as.integer(as.character(region)),
  county = as.integer(as.character(county)), deaths = deaths, expected = expected, uvb = uvb
))
write17(mm_out, "glmm-mmmec.csv")
set.seed(20261206)
n_cluster <- 150
per_cluster <- 4
small_out <- data.frame(cluster = rep(seq_len(n_cluster), each = per_cluster),
                        x = round(rnorm(n_cluster * per_cluster), 3))
u <- rnorm(n_cluster, sd = 2.5)
small_out$y <- rbinom(nrow(small_out), 1, plogis(-0.5 + 1 * small_out$x + u[small_out$cluster]))
write17(small_out, "glmm-small-clusters.csv")

co <- read.csv(file.path(out_dir, "glmm-contraception.csv"))
mm <- read.csv(file.path(out_dir, "glmm-mmmec.csv"))
small <- read.csv(file.path(out_dir, "glmm-small-clusters.csv"))
section("head", print(head(co)))

# 2. A linear model on the 0/1 outcome (lme4 fits it without a word).
lin <- lmer(use ~ age + urban + livch + (1 | district), data = co, REML = FALSE)
section("lin", print(summary(fitted(lin))))

# 3. Logistic random intercepts: summary, odds ratios with Wald intervals, latent-scale ICC.
m_int <- glmer(use ~ age + urban + livch + (1 | district), data = co, family = binomial)
section("m_int", print(summary(m_int)))
section("odds", print(exp(cbind(OR = fixef(m_int), confint(m_int, parm = "beta_", method = "Wald")))))
tau2 <- VarCorr(m_int)$district[1, 1]
section("icc", print(c(district_variance = tau2, icc = tau2 / (tau2 + pi^2 / 3))))

# 4. Predicted probabilities: conditional (with the district's effect) and at u = 0.
new <- data.frame(age = 0, urban = c("N", "Y"), livch = "1")
section("predict", {
  print(cbind(new, typical_district = predict(m_int, new, re.form = NA, type = "response")))
  print(head(predict(m_int, type = "response")))
})

# 5. A random slope for urban, compared by a likelihood ratio test.
m_slope <- glmer(use ~ age + urban + livch + (urban | district), data = co, family = binomial)
section("m_slope", print(VarCorr(m_slope)))
section("m_slope_message", cat(m_slope@optinfo$conv$lme4$messages, sep = "\n"))
section("lrt", print(anova(m_int, m_slope)))

# 6. Laplace against adaptive Gauss-Hermite quadrature.
m_agq <- glmer(use ~ age + urban + livch + (1 | district), data = co, family = binomial,
               nAGQ = 8)
section("agq", print(rbind(Laplace = c(fixef(m_int), sd = sqrt(tau2), logLik = logLik(m_int)),
                           AGQ8 = c(fixef(m_agq), sd = sqrt(VarCorr(m_agq)$district[1, 1]),
                                    logLik = logLik(m_agq)))))
small_laplace <- glmer(y ~ x + (1 | cluster), data = small, family = binomial)
small_agq <- glmer(y ~ x + (1 | cluster), data = small, family = binomial, nAGQ = 10)
sd_of <- function(m) sqrt(VarCorr(m)$cluster[1, 1])
section("small", print(rbind(Laplace = c(fixef(small_laplace), sd = sd_of(small_laplace)),
                             AGQ10 = c(fixef(small_agq), sd = sd_of(small_agq)))))

# 7. Counts with an exposure: Poisson with offset(log(expected)), overdispersion, and an
#    observation-level random effect (one level of county per row).
p_nation <- glmer(deaths ~ uvb + offset(log(expected)) + (1 | nation), data = mm,
                  family = poisson)
section("p_nation", print(summary(p_nation)))
dispersion <- function(m) {
  chisq <- sum(residuals(m, type = "pearson")^2)
  c(chisq = chisq, ratio = chisq / df.residual(m), df = df.residual(m),
    p = pchisq(chisq, df.residual(m), lower.tail = FALSE))
}
section("dispersion", print(dispersion(p_nation)))
p_olre <- glmer(deaths ~ uvb + offset(log(expected)) + (1 | nation) + (1 | county), data = mm,
                family = poisson)
section("p_olre", {
  print(summary(p_olre))
  print(dispersion(p_olre))
})

# lme4's convergence messages, per fit (a gradient check can fail at an optimum that is fine).
section("messages", print(sapply(
  list(m_int = m_int, m_slope = m_slope, m_agq = m_agq, small_laplace = small_laplace,
       small_agq = small_agq, p_nation = p_nation, p_olre = p_olre),
  function(m) paste(c(m@optinfo$conv$lme4$messages, ""), collapse = " ")
)))

# 8. Every estimate at full precision, for the chapter's side-by-side comparison.
estimates <- function(m, model) {
  fixed <- summary(m)$coefficients
  vc <- as.data.frame(VarCorr(m))
  vc_label <- paste(vc$grp, vc$var1, ifelse(is.na(vc$var2), "", vc$var2), sep = "|")
  rbind(
    data.frame(model = model, kind = "fixef", parameter = rownames(fixed),
               estimate = fixed[, "Estimate"], se = fixed[, "Std. Error"]),
    data.frame(model = model, kind = "sdcor", parameter = vc_label, estimate = vc$sdcor,
               se = NA),
    data.frame(model = model, kind = "fit", parameter = "logLik",
               estimate = as.numeric(logLik(m)), se = NA)
  )
}
fits <- list(m_int = m_int, m_slope = m_slope, m_agq = m_agq, small_laplace = small_laplace,
             small_agq = small_agq, p_nation = p_nation, p_olre = p_olre)
all_estimates <- do.call(rbind, Map(estimates, fits, names(fits)))
lin_fixed <- summary(lin)$coefficients
all_estimates <- rbind(all_estimates, data.frame(
  model = "lin", kind = "fixef", parameter = rownames(lin_fixed),
  estimate = lin_fixed[, "Estimate"], se = lin_fixed[, "Std. Error"]
))
write17(all_estimates, "glmm-lme4.csv")
