// Package cascade is the answer verifier behind cascade routing: the cheap
// model answers first, the verifier reads that answer and estimates how much
// asking the strong model would gain, and only then is the strong model
// called.
//
// A router that sees only the query mostly learns each model's average
// strength on a kind of question; the cheap model's own answer says whether
// this particular answer is likely wrong: it hedges, refuses, corrects
// itself, shows arithmetic that does not hold, or ends without the final
// number a word problem asks for.
//
// # The verifier
//
// Inputs at decision time are the query and the cheap answer only (never a
// grade or a gold answer). Features:
//   - hashed word uni+bigrams and character 3–5-grams of the answer, TF-IDF
//     weighted and L2-normalised (internal/features, fitted on the training
//     answers), with every digit run folded to one token so that a
//     question's particular numbers are not memorised;
//   - the answer's signals (Signals): length, steps, hedging, refusal and
//     self-correction phrases, final-answer format, whether a final number
//     exists and is whole, the arithmetic the answer shows recomputed
//     (CheckArithmetic), and how much of the query's numbers it uses;
//     standardised on the training answers.
//
// The model is a logistic regression for "the cheap answer is wrong",
// trained with AdaGrad and L2. Its probability is the escalate score in
// [0, 1]. Hyperparameters are chosen by seeded k-fold cross-validated APGR
// on the training rows; the out-of-fold scores give the default threshold
// and the calibration quantiles, so both describe answers the model did not
// train on.
//
// # Saved form
//
// cascade.json (Meta) and cascade.bin (little-endian float32 sections with
// a CRC-32C trailer) sit in the router's model directory. A model directory
// without them has no cascade; Load then returns nil and no error.
package cascade
