//! Prompt-lookup drafts: when the newest tokens appeared before in the conversation (a reply
//! quoting a document, repeating code it is editing, summarising), the tokens that followed them
//! then are a good guess for what follows now. The guess costs no model: it is checked in the
//! same decode as the token before it, and only what the model itself would pick is kept.
//!
//! Checking a guess is not free (a decode of several tokens costs more than one, most of all on
//! small models with large vocabularies), so [`DraftPlanner`] drafts only when what this reply's
//! drafts have earned so far, against what a longer decode measurably costs on this model, beats
//! plain decoding. It plans a draft model's guesses (`worker/draft.rs`) the same way, with
//! the draft model's own cost per guessed token added to each checked one.

use llama_cpp_2::token::LlamaToken;

/// The longest run of newest tokens looked for; longer matches are rarer but surer.
const MAX_NGRAM: usize = 4;
/// The shortest: a single repeated token says too little about what follows.
const MIN_NGRAM: usize = 2;
/// How far back to look (the newest part of the conversation holds most repeats).
const WINDOW: usize = 8192;
/// The most tokens drafted at once.
pub(crate) const MAX_DRAFT: usize = 12;
/// Where the planner keeps the draft model's record, after the match lengths'.
const MODEL_SLOT: usize = MAX_NGRAM - MIN_NGRAM + 1;
/// A draft model at most this size against the big one is tried before it has been timed.
const PROBE_RATIO: f64 = 0.5;
/// How many guesses that try asks for.
const PROBE: usize = 3;
/// How many times in a reply it is tried (it may doubt, and a doubt times no check).
const PROBES: u8 = 4;

/// A guess at the next tokens, and how long a run of newest tokens it was found from.
#[derive(Debug, PartialEq)]
pub(crate) struct Draft {
    /// The length of the matched run of newest tokens.
    pub(crate) matched: usize,
    /// The tokens that followed the earlier occurrence.
    pub(crate) tokens: Vec<LlamaToken>,
}

/// Up to `max` tokens that followed the latest earlier occurrence of the newest `n` tokens of
/// `held` followed by `newest` (the longest `n` from [`MAX_NGRAM`] down to [`MIN_NGRAM`] that
/// occurs); `None` when none does.
pub(crate) fn draft(held: &[LlamaToken], newest: LlamaToken, max: usize) -> Option<Draft> {
    if max == 0 {
        return None;
    }
    let held = &held[held.len().saturating_sub(WINDOW)..];
    let at = |i: usize| if i < held.len() { held[i] } else { newest };
    let len = held.len() + 1;
    for n in (MIN_NGRAM..=MAX_NGRAM).rev() {
        if len <= n {
            continue;
        }
        let tail = len - n;
        // Latest first: the most recent context predicts best. An occurrence must end before
        // the newest token, so at least one token follows it.
        let found = (0..tail)
            .rev()
            .find(|&start| (0..n).all(|i| held[start + i] == at(tail + i)));
        if let Some(start) = found {
            let from = start + n;
            let to = (from + max).min(len);
            return Some(Draft {
                matched: n,
                tokens: (from..to).map(at).collect(),
            });
        }
    }
    None
}

/// Decides how many drafted tokens to check with each decode, from two things measured during
/// the reply: how often drafts found from a match of each length were kept, and what a decode
/// and a sampling step cost on this model. Drafts only when the expected tokens per
/// millisecond beat plain decoding by a margin, so text that repeats nothing is decoded plainly
/// after a few failed guesses.
#[derive(Debug)]
pub(crate) struct DraftPlanner {
    /// Per match length (index `n - MIN_NGRAM`): recent kept and rejected draft tokens.
    /// The last index holds the draft model's record.
    kept: [f64; MODEL_SLOT + 1],
    rejected: [f64; MODEL_SLOT + 1],
    /// Milliseconds of a decode of one token.
    single_ms: Option<f64>,
    /// Extra milliseconds for each further token in a decode.
    extra_ms: Option<f64>,
    /// Milliseconds the draft model takes per token it guesses.
    draft_ms: Option<f64>,
    /// Tries of the draft model left before its costs have been measured.
    probes_left: u8,
    /// Milliseconds of one sampling step.
    sample_ms: f64,
    /// Draft every match in full (see [`DraftPlanner::from_environment`]).
    always: bool,
}

impl DraftPlanner {
    /// How much newer measurements weigh against the running estimate.
    const WEIGHT: f64 = 0.2;
    /// How much of the past each new draft's outcome keeps (the reply may stop quoting).
    const MEMORY: f64 = 0.7;
    /// Drafting must promise this much more speed than plain decoding.
    const MARGIN: f64 = 1.05;

    /// A planner that drafts every match in full, whatever it costs, when the worker runs with
    /// `HEARTH_LOOKUP=always`: the mechanism's tests need drafts that do not hang on timings.
    pub(crate) fn from_environment() -> DraftPlanner {
        let always = std::env::var("HEARTH_LOOKUP").is_ok_and(|v| v == "always");
        DraftPlanner {
            always,
            ..DraftPlanner::new()
        }
    }

    pub(crate) fn new() -> DraftPlanner {
        // Priors worth two draft tokens: longer matches start out trusted more; a draft model
        // of the same family agrees with the big one on most tokens of ordinary text.
        DraftPlanner {
            kept: [0.7, 1.1, 1.4, 1.4],
            rejected: [1.3, 0.9, 0.6, 0.6],
            single_ms: None,
            extra_ms: None,
            draft_ms: None,
            probes_left: PROBES,
            sample_ms: 0.0,
            always: false,
        }
    }

    /// Whether drafts may be made whatever they cost (`HEARTH_LOOKUP=always`).
    pub(crate) fn always(&self) -> bool {
        self.always
    }

    /// Whether a match of any length would be drafted now: when none would, the search for
    /// one (a scan of the conversation on every token) is skipped.
    pub(crate) fn would_draft(&self) -> bool {
        (MIN_NGRAM..=MAX_NGRAM).any(|n| self.length(n) > 0)
    }

    /// How many of a draft found from a match of `matched` tokens to check; 0 for none.
    pub(crate) fn length(&self, matched: usize) -> usize {
        match slot(matched) {
            Some(i) => self.best_length(i, 0.0),
            None => 0,
        }
    }

    /// How many tokens to ask the draft model for, whose decode is expected to cost
    /// `cost_ratio` of the big model's until one is timed; 0 for none.
    pub(crate) fn model_length(&self, cost_ratio: f64) -> usize {
        let guess = self.single_ms.map_or(0.0, |single| single * cost_ratio);
        let planned = self.best_length(MODEL_SLOT, self.draft_ms.unwrap_or(guess));
        // Sizes only hint at what a guess costs on this machine: a small draft model is tried
        // until its guesses and a check of them have been timed, so the plan rests on
        // measurements.
        let untimed = self.draft_ms.is_none() || self.extra_ms.is_none();
        let probe = untimed && self.probes_left > 0 && self.single_ms.is_some();
        if planned == 0 && probe && cost_ratio <= PROBE_RATIO {
            PROBE
        } else {
            planned
        }
    }

    /// The draft length that promises the most tokens per millisecond for guesses whose
    /// record is in `slot` and which cost `per_token` milliseconds each to make; 0 when none
    /// beats plain decoding by the margin.
    fn best_length(&self, i: usize, per_token: f64) -> usize {
        if self.always {
            return MAX_DRAFT;
        }
        let Some(single) = self.single_ms else {
            return 0;
        };
        // Until a batch has been timed, guess that each further token costs a quarter of one.
        let extra = self.extra_ms.unwrap_or(single / 4.0);
        let p = self.kept[i] / (self.kept[i] + self.rejected[i]);
        let plain_rate = 1.0 / (single + self.sample_ms);
        let mut expected = 0.0;
        let mut best = (0, plain_rate * Self::MARGIN);
        for k in 1..=MAX_DRAFT {
            // Token i of the draft is kept only if all before it were: p^i.
            expected += p.powi(k as i32);
            let tokens = 1.0 + expected;
            // A found match is checked in full; a draft model stops guessing where it doubts,
            // which its record counts as a miss, so it makes about as many guesses as are kept
            // and one more.
            let checked = if i == MODEL_SLOT {
                tokens - p.powi(k as i32)
            } else {
                k as f64
            };
            let rate = tokens / (single + (extra + per_token) * checked + self.sample_ms * tokens);
            if rate > best.1 {
                best = (k, rate);
            }
        }
        best.0
    }

    /// Records that the draft model took `ms` for `decodes` decodes (each of its guesses but
    /// the last needs one, and catching up with the tokens the big model kept one more).
    pub(crate) fn model_drafted(&mut self, decodes: usize, ms: f64) {
        if decodes > 0 {
            self.draft_ms = Some(blend(self.draft_ms, ms / decodes as f64));
        }
    }

    /// Records a decode of `tokens` tokens that took `ms`.
    pub(crate) fn decoded(&mut self, tokens: usize, ms: f64) {
        let single = match (tokens, self.single_ms) {
            (0, _) => return,
            (1, _) => {
                self.single_ms = Some(blend(self.single_ms, ms));
                return;
            }
            (_, Some(single)) => single,
            (_, None) => return,
        };
        let extra = ((ms - single) / (tokens - 1) as f64).max(0.0);
        self.extra_ms = Some(blend(self.extra_ms, extra));
    }

    /// Records a sampling step that took `ms`.
    pub(crate) fn sampled(&mut self, ms: f64) {
        self.sample_ms = blend(Some(self.sample_ms), ms);
    }

    /// Records that `accepted` of `drafted` tokens found from a match of `matched` were kept.
    pub(crate) fn checked(&mut self, matched: usize, drafted: usize, accepted: usize) {
        if let Some(i) = slot(matched) {
            self.record(i, drafted, accepted);
        }
    }

    /// Records that `accepted` of `drafted` tokens the draft model guessed were kept.
    /// `stopped`: it stopped guessing where it doubted, which ends the run of kept guesses
    /// as a rejected one does.
    pub(crate) fn model_checked(&mut self, drafted: usize, accepted: usize, stopped: bool) {
        self.probes_left = self.probes_left.saturating_sub(1);
        self.record(MODEL_SLOT, drafted + usize::from(stopped), accepted);
    }

    fn record(&mut self, i: usize, drafted: usize, accepted: usize) {
        if drafted == 0 {
            return;
        }
        self.kept[i] = self.kept[i] * Self::MEMORY + accepted as f64;
        self.rejected[i] =
            self.rejected[i] * Self::MEMORY + f64::from(u8::from(accepted < drafted));
    }
}

/// The index of a match length in the planner's counts.
fn slot(matched: usize) -> Option<usize> {
    (MIN_NGRAM..=MAX_NGRAM)
        .contains(&matched)
        .then(|| matched - MIN_NGRAM)
}

fn blend(old: Option<f64>, new: f64) -> f64 {
    match old {
        Some(old) => old + (new - old) * DraftPlanner::WEIGHT,
        None => new,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(ids: &[i32]) -> Vec<LlamaToken> {
        ids.iter().copied().map(LlamaToken).collect()
    }

    fn drafted(held: &[i32], newest: i32, max: usize) -> Option<(usize, Vec<LlamaToken>)> {
        draft(&tokens(held), LlamaToken(newest), max).map(|d| (d.matched, d.tokens))
    }

    #[test]
    fn the_tokens_after_the_latest_earlier_occurrence_are_drafted() {
        // ... 1 2 3 [9 8] ... 1 2 3 [7 6] ... 1 2 3 → the latest: 7 6
        let held = [1, 2, 3, 9, 8, 4, 1, 2, 3, 7, 6, 5, 1, 2];
        assert_eq!(drafted(&held, 3, 2), Some((3, tokens(&[7, 6]))));
        assert_eq!(
            drafted(&held, 3, 10),
            Some((3, tokens(&[7, 6, 5, 1, 2, 3]))),
            "a draft may run up to the newest token"
        );
    }

    #[test]
    fn longer_matches_win_and_single_tokens_are_not_enough() {
        // "2 3" occurs last before 4, but "1 2 3" occurred before 5.
        let held = [1, 2, 3, 5, 0, 2, 3, 4, 0, 1, 2];
        assert_eq!(drafted(&held, 3, 1), Some((3, tokens(&[5]))));
        assert_eq!(drafted(&[7, 1, 8, 2, 9], 1, 4), None, "one repeated token");
        assert_eq!(drafted(&[1], 2, 4), None);
        assert_eq!(drafted(&held, 3, 0), None);
    }

    fn timed(single: f64, extra: f64) -> DraftPlanner {
        let mut planner = DraftPlanner::new();
        planner.decoded(1, single);
        planner.decoded(5, single + 4.0 * extra);
        planner
    }

    #[test]
    fn nothing_is_drafted_before_a_decode_has_been_timed() {
        assert_eq!(DraftPlanner::new().length(4), 0);
        assert_eq!(timed(10.0, 1.0).length(1), 0, "a match too short");
    }

    #[test]
    fn kept_drafts_lengthen_drafts_and_rejected_ones_stop_them() {
        let mut planner = timed(10.0, 1.0);
        let first = planner.length(4);
        assert!(first > 0, "cheap checks and a trusted match draft");
        for _ in 0..5 {
            let k = planner.length(4);
            planner.checked(4, k, k);
        }
        assert!(planner.length(4) > first, "{} > {first}", planner.length(4));
        for _ in 0..15 {
            let k = planner.length(4).max(1);
            planner.checked(4, k, 0);
        }
        assert_eq!(planner.length(4), 0, "drafts that are never kept stop");
    }

    #[test]
    fn costly_checks_need_surer_drafts() {
        let cheap = timed(10.0, 0.5);
        let dear = timed(10.0, 6.0);
        assert!(cheap.length(2) > 0);
        assert_eq!(dear.length(2), 0, "a weak match is not worth a dear check");
        assert!(dear.length(4) <= cheap.length(4));
    }

    #[test]
    fn sampling_cost_is_part_of_the_sum() {
        let mut planner = timed(10.0, 2.0);
        assert!(planner.length(3) > 0);
        for _ in 0..20 {
            planner.sampled(40.0);
        }
        // Sampling costs the same per token drafted or not, so it dilutes the gain.
        assert!(planner.length(3) <= timed(10.0, 2.0).length(3));
    }

    #[test]
    fn a_draft_model_drafts_while_it_is_cheap_and_right() {
        let mut cheap = timed(10.0, 0.5);
        assert!(
            cheap.model_length(0.1) > 0,
            "a small trusted draft model is tried"
        );
        assert_eq!(cheap.model_length(0.9), 0, "one nearly as big is not tried");
        let dear_checks = timed(10.0, 6.0);
        assert!(
            dear_checks.model_length(0.4) > 0,
            "a small one is tried once before its cost is known"
        );
        let mut doubting = timed(10.0, 0.5);
        doubting.model_drafted(1, 1.0);
        doubting.model_checked(4, 4, true);
        doubting.model_checked(0, 0, true);
        assert!(doubting.model_length(0.1) > 0, "one doubt is not a verdict");
        for _ in 0..5 {
            doubting.model_checked(0, 0, true);
        }
        assert_eq!(
            doubting.model_length(0.1),
            0,
            "a model that keeps doubting is not asked"
        );
        cheap.model_drafted(4, 4.0);
        let k = cheap.model_length(0.9);
        assert!(
            k > 0,
            "timed guesses at a tenth of a decode pay, whatever sizes said"
        );
        for _ in 0..10 {
            cheap.model_checked(k, 0, false);
        }
        assert_eq!(cheap.model_length(0.1), 0, "guesses never kept stop");

        let mut dear = timed(10.0, 0.5);
        dear.model_drafted(1, 9.0);
        assert_eq!(
            dear.model_length(0.1),
            0,
            "a draft timed nearly as slow does not pay"
        );
    }
}
