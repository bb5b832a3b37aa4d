//! Chunking (a request list split across calls) and the response list that
//! reports per-item failures. What they name is checked in [`crate::check`].

use crate::model::ChunkSpec;
use crate::raw::{RawChunk, RawPartialFailure};

pub(super) fn lower_chunk(raw: &RawChunk) -> ChunkSpec {
    match raw {
        RawChunk::Field(f) => ChunkSpec {
            field: f.clone(),
            key: None,
        },
        RawChunk::Keyed { field, key } => ChunkSpec {
            field: field.clone(),
            key: Some(key.clone()),
        },
    }
}

/// A failure list as written: the list, and for lists of structs the item
/// and code fields (`None` for a plain list of names).
pub(crate) struct FailureList {
    pub list: String,
    pub item: Option<String>,
    pub code: Option<String>,
    pub ok: Vec<i64>,
}

pub(super) fn lower_partial_failure(raw: &RawPartialFailure) -> FailureList {
    FailureList {
        list: raw.list.clone(),
        item: raw.item.clone(),
        code: raw.code.clone(),
        ok: raw.ok.clone(),
    }
}
