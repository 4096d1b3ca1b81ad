//! How far to trust sentence vectors for a question: an embedding model trained on English
//! text gives Chinese sentences vectors that barely depend on their meaning, and fused with
//! keyword results such a list only pushes the right passages down. So before vectors of a
//! question written in Chinese or Japanese are used, the model is asked once whether it tells
//! sentences of that script apart by meaning: pairs that say the same thing in different
//! characters must come out closer than unrelated sentences. The margin it keeps sets the
//! weight of its list in the fusion (full weight for a multilingual model, none for an
//! English-only one).

use crate::cjk::is_cjk;
use crate::embed::Embedder;
use crate::{Docs, DocsError};

/// (a sentence; the same meaning in other characters; another meaning in the first one's
/// characters). A model that only counts characters puts the third nearer; one that reads
/// puts the second nearer.
const CJK_PROBES: [(&str, &str, &str); 4] = [
    (
        "我很饿，想吃东西。",
        "肚子空了，需要进食。",
        "我很想念东北的老家。",
    ),
    (
        "今天下大雨了。",
        "此刻外头暴雨倾盆。",
        "今天的大会下午开始了。",
    ),
    (
        "这本书非常有趣。",
        "那部小说读起来很好玩。",
        "这本账非常有问题。",
    ),
    (
        "他坐飞机去北京。",
        "那位男士乘航班前往首都。",
        "他坐下来去掉北京烤鸭的皮。",
    ),
];
/// A margin at or below this is no understanding; this much more is full understanding.
const NO_MARGIN: f32 = 0.05;
const FULL_MARGIN: f32 = 0.20;

/// Whether a question is written mostly in a script without spaces (Chinese, Japanese, Korean).
pub(crate) fn is_mostly_cjk(text: &str) -> bool {
    let letters = text.chars().filter(|c| c.is_alphanumeric()).count();
    let cjk = text.chars().filter(|c| is_cjk(*c)).count();
    letters > 0 && cjk * 10 >= letters * 3
}

impl Docs {
    /// The weight (0 to 1) of `embedder`'s vectors for `query` in a hybrid search.
    pub async fn vector_weight<E: Embedder>(
        &self,
        query: &str,
        embedder: &E,
    ) -> Result<f32, DocsError> {
        if !is_mostly_cjk(query) {
            return Ok(1.0);
        }
        let id = embedder.model().id.clone();
        if let Some(known) = self
            .inner
            .reading
            .lock()
            .ok()
            .and_then(|r| r.get(&id).copied())
        {
            return Ok(known);
        }
        let prefix = &embedder.model().query_prefix;
        let texts = CJK_PROBES
            .iter()
            .flat_map(|(a, b, c)| [a, b, c])
            .map(|t| format!("{prefix}{t}"))
            .collect();
        let vectors = embedder.embed(texts).await?;
        let cos = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        let margins: Vec<f32> = vectors
            .chunks_exact(3)
            .map(|t| cos(&t[0], &t[1]) - cos(&t[0], &t[2]))
            .collect();
        let margin = margins.iter().sum::<f32>() / margins.len().max(1) as f32;
        let weight = ((margin - NO_MARGIN) / (FULL_MARGIN - NO_MARGIN)).clamp(0.0, 1.0);
        tracing::info!(model = %id, margin, weight, "how well the embedding model reads Chinese");
        if let Ok(mut known) = self.inner.reading.lock() {
            known.insert(id, weight);
        }
        Ok(weight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_are_told_apart_by_script() {
        assert!(is_mostly_cjk("防火墙规则怎样保存？"));
        assert!(is_mostly_cjk("局域网专用的 IPv4 地址范围在哪里规定？"));
        assert!(!is_mostly_cjk("How do I keep firewall rules?"));
        assert!(!is_mostly_cjk("What does 北京 mean in the address line?"));
        assert!(!is_mostly_cjk("?!"));
    }
}
