//! Shorthands for the common message elements.

use crate::types::{
    CustomElem, FaceElem, LocationElem, LocationElemRequired, MsgElement, TextElem,
};

impl MsgElement {
    /// A `TIMTextElem`.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(TextElem::new(text))
    }

    /// A `TIMCustomElem` carrying `data`.
    pub fn custom(data: impl Into<String>) -> Self {
        Self::Custom(CustomElem::new(data))
    }

    /// A `TIMCustomElem` whose `Data` is `value` encoded as JSON text, so the
    /// JSON is not escaped twice by hand.
    pub fn custom_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        Ok(Self::Custom(CustomElem::new(serde_json::to_string(value)?)))
    }

    /// A `TIMFaceElem`.
    pub fn face(index: i64) -> Self {
        Self::Face(FaceElem::new(index))
    }

    /// A `TIMLocationElem`.
    pub fn location(desc: impl Into<String>, latitude: f64, longitude: f64) -> Self {
        Self::Location(LocationElem::new(LocationElemRequired {
            desc: desc.into(),
            latitude,
            longitude,
        }))
    }
}
