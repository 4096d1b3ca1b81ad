//! ggml tensor types: how many bytes a tensor of each type takes.

/// (type id, name, elements per block, bytes per block), from ggml's `type_traits`.
const GGML_TYPES: &[(u32, &str, u64, u64)] = &[
    (0, "F32", 1, 4),
    (1, "F16", 1, 2),
    (2, "Q4_0", 32, 18),
    (3, "Q4_1", 32, 20),
    (6, "Q5_0", 32, 22),
    (7, "Q5_1", 32, 24),
    (8, "Q8_0", 32, 34),
    (9, "Q8_1", 32, 36),
    (10, "Q2_K", 256, 84),
    (11, "Q3_K", 256, 110),
    (12, "Q4_K", 256, 144),
    (13, "Q5_K", 256, 176),
    (14, "Q6_K", 256, 210),
    (15, "Q8_K", 256, 292),
    (16, "IQ2_XXS", 256, 66),
    (17, "IQ2_XS", 256, 74),
    (18, "IQ3_XXS", 256, 98),
    (19, "IQ1_S", 256, 50),
    (20, "IQ4_NL", 32, 18),
    (21, "IQ3_S", 256, 110),
    (22, "IQ2_S", 256, 82),
    (23, "IQ4_XS", 256, 136),
    (24, "I8", 1, 1),
    (25, "I16", 1, 2),
    (26, "I32", 1, 4),
    (27, "I64", 1, 8),
    (28, "F64", 1, 8),
    (29, "IQ1_M", 256, 56),
    (30, "BF16", 1, 2),
    (34, "TQ1_0", 256, 54),
    (35, "TQ2_0", 256, 66),
    (39, "MXFP4", 32, 17),
];

/// The ggml name of a tensor type (`Q4_K`), if known.
pub fn ggml_type_name(id: u32) -> Option<&'static str> {
    GGML_TYPES.iter().find(|t| t.0 == id).map(|t| t.1)
}

/// Bytes taken by `elements` values of type `id`; `None` for an unknown type, or when the count
/// is not a whole number of blocks or overflows.
pub fn tensor_bytes(id: u32, elements: u64) -> Option<u64> {
    let &(_, _, block, size) = GGML_TYPES.iter().find(|t| t.0 == id)?;
    if !elements.is_multiple_of(block) {
        return None;
    }
    (elements / block).checked_mul(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_of_common_types() {
        assert_eq!(tensor_bytes(0, 10), Some(40));
        assert_eq!(tensor_bytes(3, 64), Some(40));
        assert_eq!(tensor_bytes(12, 512), Some(288));
        assert_eq!(tensor_bytes(12, 100), None, "not whole blocks");
        assert_eq!(tensor_bytes(999, 32), None);
        assert_eq!(tensor_bytes(28, u64::MAX), None, "overflow");
        assert_eq!(ggml_type_name(14), Some("Q6_K"));
    }
}
