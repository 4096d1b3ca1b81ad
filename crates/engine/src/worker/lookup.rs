//! Prompt-lookup drafts: when the newest tokens appeared before in the conversation (a reply
//! quoting a document, repeating code it is editing, summarising), the tokens that followed them
//! then are a good guess for what follows now. The guess costs no model: it is checked in the
//! same decode as the token before it, and only what the model itself would pick is kept.

use llama_cpp_2::token::LlamaToken;

/// The longest run of newest tokens looked for; longer matches are rarer but surer.
const MAX_NGRAM: usize = 4;
/// The shortest: a single repeated token says too little about what follows.
const MIN_NGRAM: usize = 2;
/// How far back to look (the newest part of the conversation holds most repeats).
const WINDOW: usize = 8192;

/// Up to `max` tokens that followed the latest earlier occurrence of the newest `n` tokens of
/// `history` (the longest `n` from [`MAX_NGRAM`] down to [`MIN_NGRAM`] that occurs); empty
/// when none does.
pub(crate) fn draft(history: &[LlamaToken], max: usize) -> Vec<LlamaToken> {
    if max == 0 {
        return Vec::new();
    }
    let start = history.len().saturating_sub(WINDOW);
    let history = &history[start..];
    for n in (MIN_NGRAM..=MAX_NGRAM).rev() {
        if history.len() <= n {
            continue;
        }
        let newest = &history[history.len() - n..];
        // Latest first: the most recent context predicts best. An occurrence must leave at
        // least one token after it that is not part of the newest n.
        let found = (0..history.len() - n)
            .rev()
            .find(|&at| &history[at..at + n] == newest);
        if let Some(at) = found {
            let from = at + n;
            let to = (from + max).min(history.len());
            return history[from..to].to_vec();
        }
    }
    Vec::new()
}

/// How many tokens to draft next, from how the last drafts went: a run of full acceptances
/// lengthens drafts, a rejection shortens them, so text with no repeats costs almost nothing.
#[derive(Debug)]
pub(crate) struct DraftLength {
    current: usize,
}

impl DraftLength {
    const MIN: usize = 2;
    const MAX: usize = 12;

    pub(crate) fn new() -> DraftLength {
        DraftLength { current: 4 }
    }

    pub(crate) fn get(&self) -> usize {
        self.current
    }

    /// Records that `accepted` of `drafted` tokens were kept.
    pub(crate) fn update(&mut self, drafted: usize, accepted: usize) {
        if drafted == 0 {
            return;
        }
        self.current = if accepted == drafted {
            (self.current + 2).min(Self::MAX)
        } else {
            (accepted + 1).clamp(Self::MIN, Self::MAX)
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(ids: &[i32]) -> Vec<LlamaToken> {
        ids.iter().copied().map(LlamaToken).collect()
    }

    #[test]
    fn the_tokens_after_the_latest_earlier_occurrence_are_drafted() {
        // ... 1 2 3 [9 8] ... 1 2 3 [7 6] ... 1 2 3 → the latest: 7 6
        let history = tokens(&[1, 2, 3, 9, 8, 5, 1, 2, 3, 7, 6, 5, 1, 2, 3]);
        assert_eq!(draft(&history, 2), tokens(&[7, 6]));
        assert_eq!(draft(&history, 10), tokens(&[7, 6, 5, 1, 2, 3]));
    }

    #[test]
    fn longer_matches_win_and_single_tokens_are_not_enough() {
        // "2 3" occurs last before 4, but "1 2 3" occurred before 5.
        let history = tokens(&[1, 2, 3, 5, 0, 2, 3, 4, 0, 1, 2, 3]);
        assert_eq!(draft(&history, 1), tokens(&[5]));
        let lone = tokens(&[7, 1, 8, 2, 9, 1]);
        assert!(
            draft(&lone, 4).is_empty(),
            "one repeated token drafts nothing"
        );
        assert!(draft(&tokens(&[1, 2]), 4).is_empty());
        assert!(draft(&history, 0).is_empty());
    }

    #[test]
    fn draft_length_grows_on_success_and_shrinks_on_failure() {
        let mut length = DraftLength::new();
        length.update(4, 4);
        assert_eq!(length.get(), 6);
        length.update(6, 0);
        assert_eq!(length.get(), DraftLength::MIN);
        for _ in 0..10 {
            let n = length.get();
            length.update(n, n);
        }
        assert_eq!(length.get(), DraftLength::MAX);
        length.update(0, 0);
        assert_eq!(length.get(), DraftLength::MAX, "no draft, no change");
    }
}
