// Package router holds the routers: the SFT+DPO classifier, kNN and random
// baselines, all behind one interface, plus training, calibration and the
// saved-model format.
//
// # The trained router
//
// Features (internal/features): hashed word uni+bigrams and character
// 3–5-grams inside word boundaries, TF-IDF weighted (IDF fitted on the
// training queries, sublinear tf), each block L2-normalised, plus 12
// standardised query characteristics. Queries are truncated to their first
// 8 KiB (features.DefaultMaxQueryBytes), so a 1 MB prompt costs the same as
// an 8 KiB one.
//
// Model (KindClassifier): one linear layer over the sparse features with
// two softmax heads, trained jointly by row-wise AdaGrad SGD with
// cross-entropy + L2 (stage 1, SFT):
//   - the policy head over policy.Labels (the oracle matrix's label);
//   - the outcome head over the four joint outcomes (cheap right or wrong ×
//     strong right or wrong; NOT_ATTEMPTED counts as wrong).
//
// An optional topic head predicts the row's topic (e.g. MMLU subject) from
// word n-grams and turns it into each topic's smoothed strong−cheap gain.
// Stage 2, DPO, fine-tunes the policy head on the preference pairs with
// the DPO loss −log σ(β[(log πθ(c|x) − log πref(c|x)) − (log πθ(r|x) −
// log πref(r|x))]), the SFT policy head frozen as πref, plus
// Hyperparameters.DPOAnchor × the head's cross-entropy on the SFT rows (a
// likelihood anchor, as in RPO). Here every pair's chosen label is its SFT
// label, so DPO alone moves the logits by the pairs' log-odds / β on top of
// what SFT learned and drives the head to probabilities of 0.99 and more;
// the anchor and a small rate keep it calibrated. model.json's metrics
// hold the head's validation ECE and mean top probability for SFT alone
// and after DPO.
//
// Score: a number in [0, 1], higher = the strong model is more needed. The
// candidates are ScoreKinds; Train holds out a seeded, topic-stratified
// validation slice, fits on the rest, and keeps the kind with the best
// validation APGR (all candidates' APGRs, after DPO and for SFT alone, are
// in model.json's metrics). The final model is then fitted on every row.
//
// Decision: Complex_Query when score >= threshold, else the likelier of
// Standard_Query and Ambiguous_Query. The static model map sends
// Complex_Query to the strong model and the other two to the cheap one.
// The threshold starts at the training-score quantile for
// TrainConfig.DefaultStrongShare and is reset by Calibrate (RouteLLM's
// calibrate_threshold: the (1 − share) quantile of the scores).
//
// Baselines behind the same interface: KindKNN (similarity-weighted
// nearest neighbours over the n-gram vectors, after RouteLLM's
// sw_ranking) and KindRandom (a seeded hash of the query). The rule-based
// mappers are adapted in internal/policy/rulerouter.
//
// Drift: every decision of a model with a vectorizer carries how unlike
// the training queries the query is (Model.Drift, drift.go), from the
// vectorizer's IDF and characteristic statistics, so no model format
// change was needed; out of distribution from DriftThreshold.
//
// Saved model: a directory with model.json (Meta: format and feature
// versions, feature config, labels, training-data sha256, hyperparameters,
// seed, metrics, score kind, threshold, training-score quantiles, weights
// sha256; no timestamps, so the same data and seed give the same bytes)
// and weights.bin (little-endian float32 sections with a CRC-32C trailer;
// see weights.go). Save writes a temporary sibling directory and renames
// it into place; Load validates everything and refuses other format or
// feature versions.
package router
