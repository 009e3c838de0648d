package dataset

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NormalizeText is the key used to detect duplicate questions: lower-case,
// Unicode letters and digits only, runs of anything else collapsed to one
// space, trimmed. "What's  the capital?" and "whats the capital" collide
// only if their letters match, so "What is" vs "Whats" stay distinct.
func NormalizeText(s string) string {
	b := make([]byte, 0, len(s))
	space := false
	emit := func(r rune) {
		if space && len(b) > 0 {
			b = append(b, ' ')
		}
		space = false
		b = utf8.AppendRune(b, r)
	}
	for i := 0; i < len(s); {
		// ASCII fast path: benchmark text is mostly ASCII and the unicode
		// tables dominate the cost otherwise.
		if c := s[i]; c < utf8.RuneSelf {
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
				emit(rune(c))
			case 'A' <= c && c <= 'Z':
				emit(rune(c + 'a' - 'A'))
			default:
				space = true
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			emit(unicode.ToLower(r))
		} else {
			space = true
		}
	}
	return string(b)
}

// Dedupe keeps the first item of every normalised problem text (and
// conversation, for captured items that carry one) and returns how many
// later duplicates it dropped. Items whose problem has no letters
// or digits are keyed on their raw trimmed text instead, so they do not all
// collide on "".
func Dedupe(items []Item) (kept []Item, dropped int) {
	seen := make(map[string]bool, len(items))
	kept = make([]Item, 0, len(items))
	for _, it := range items {
		key := dedupeKey(it)
		if seen[key] {
			dropped++
			continue
		}
		seen[key] = true
		kept = append(kept, it)
	}
	return kept, dropped
}

// dedupeKey is an item's identity for de-duplication: its normalised
// problem text, or its raw trimmed text when normalising leaves nothing
// (so "???" and "!!!" stay apart), plus its conversation.
func dedupeKey(it Item) string {
	key := NormalizeText(it.Problem)
	if key == "" {
		key = "\x00raw:" + strings.TrimSpace(it.Problem)
	}
	return key + conversationKey(it.Messages)
}

// ValidateRatio checks a train ratio lies strictly between 0 and 1.
func ValidateRatio(ratio float64) error {
	if math.IsNaN(ratio) || ratio <= 0 || ratio >= 1 {
		return fmt.Errorf("train ratio %v must be strictly between 0 and 1", ratio)
	}
	return nil
}

// Split deduplicates items on normalised text, then splits each topic at
// ratio, so every topic keeps its share in both halves. Each topic is
// shuffled by its own PCG stream, seeded from seed and the topic name, so a
// topic's split does not change when other topics are added or removed.
// Per topic, the train count is round(ratio·n), kept within [1, n−1] when
// n ≥ 2 so small topics appear on both sides. Both outputs keep the input
// order. Callers validate ratio with ValidateRatio; an invalid ratio panics
// here because it is a programming error, not user input.
func Split(items []Item, ratio float64, seed uint64) (train, test []Item, dropped int) {
	if err := ValidateRatio(ratio); err != nil {
		panic(err)
	}
	kept, dropped := Dedupe(items)
	byTopic := map[string][]int{}
	for i, it := range kept {
		byTopic[it.Topic] = append(byTopic[it.Topic], i)
	}
	topics := make([]string, 0, len(byTopic))
	for t := range byTopic {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	inTrain := make([]bool, len(kept))
	for _, topic := range topics {
		idx := byTopic[topic]
		rng := rand.New(rand.NewPCG(seed, topicStream(topic)))
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		for _, i := range idx[:trainCount(len(idx), ratio)] {
			inTrain[i] = true
		}
	}
	for i, it := range kept {
		if inTrain[i] {
			train = append(train, it)
		} else {
			test = append(test, it)
		}
	}
	return train, test, dropped
}

func trainCount(n int, ratio float64) int {
	k := int(math.Round(ratio * float64(n)))
	if n >= 2 {
		k = min(max(k, 1), n-1)
	}
	return k
}

func topicStream(topic string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(topic))
	return h.Sum64()
}

// SplitStable deduplicates items like Split, then puts each question on the
// side a seeded hash of its normalised text picks, with probability ratio
// of train. Unlike Split, a question keeps its side when others are added
// or removed: captured traffic grows, and a question already labelled for
// training must not move to the test split, where eval would pay to label
// it again and score the router on what it was trained on. The side
// depends on the routed text only, never the conversation: the router
// scores that text, so the same follow-up asked in two conversations must
// not be trained on and tested on.
func SplitStable(items []Item, ratio float64, seed uint64) (train, test []Item, dropped int) {
	if err := ValidateRatio(ratio); err != nil {
		panic(err)
	}
	kept, dropped := Dedupe(items)
	for _, it := range kept {
		if stableUnit(seed, NormalizeText(it.Problem)) < ratio {
			train = append(train, it)
		} else {
			test = append(test, it)
		}
	}
	return train, test, dropped
}

// stableUnit maps (seed, key) to [0, 1) uniformly.
func stableUnit(seed uint64, key string) float64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(key))
	return float64(h.Sum64()>>11) / (1 << 53)
}
