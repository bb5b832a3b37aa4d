//! A typed client for the Tencent Cloud IM (Chat) server REST API, generated
//! from the declarative specs in `specs/`.
//!
//! ```no_run
//! use im_api::{api::send_group_msg, types::MsgElement, Client, Region};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::builder()
//!     .sdkappid(1400000000)
//!     .identifier("administrator")
//!     .secret_key(std::env::var("IM_SECRET_KEY")?)
//!     .region(Region::Singapore)
//!     .build()?;
//! let sent = client
//!     .send_group_msg(send_group_msg::Request::new("@TGS#2C5SZEAEF", [MsgElement::text("hello")]))
//!     .await?;
//! println!("MsgSeq {}", sent.msg_seq);
//! # Ok(()) }
//! ```
//!
//! Where things are:
//! - [`api`]: one module per endpoint (`Request`, `Response`, `Error`, `META`),
//!   generated from the spec; the matching `Client` methods.
//! - [`types`]: shared types (message elements, push settings).
//! - [`callbacks`]: the webhooks Tencent POSTs to the app: typed events and
//!   answers (generated), signature and freshness checks, dispatch.
//! - [`Client`]/[`ClientBuilder`] (`client.rs`), the transport (`transport.rs`),
//!   the UserSig signer (`usersig.rs`) and its cache (`auth.rs`), regions
//!   (`region.rs`), the response envelope (`envelope.rs`), errors (`error.rs`),
//!   pre-send validation (`validate.rs`).

#![warn(missing_docs)]

extern crate self as im_api;

mod auth;
pub mod callbacks;
mod client;
#[cfg(feature = "group-message")]
pub mod coalesce;
mod endpoint;
mod envelope;
mod error;
#[cfg(feature = "c2c-message")]
pub mod fanout;
#[cfg(feature = "raw")]
mod json;
pub mod limiter;
mod messages;
pub mod pages;
mod random;
mod record;
mod region;
pub mod retry;
mod transport;
pub mod usersig;
mod validate;

#[cfg(feature = "emulator")]
pub mod emulator;
#[cfg(feature = "raw")]
pub mod raw;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

/// Puts `#[cfg(..)]` on each item: the generated code of a shared type (a
/// definition and its impls) is compiled only with the features of the
/// families that use it.
#[doc(hidden)]
#[macro_export]
macro_rules! __cfg_items {
    (#[$cfg:meta] $($item:item)*) => {
        $(#[$cfg] $item)*
    };
}

mod generated {
    im_macros::generate!(internal, path = "../specs");
}

pub use client::{Client, ClientBuilder};
pub use endpoint::{
    CatalogueEntry, Chunk, Endpoint, EndpointError, EndpointMeta, ErrorInfo, FieldCodes, FieldMeta,
    Quota, RetryClass, UnknownValue, catalogue_entry,
};
pub use error::{
    AnyCode, AnyError, ApiError, BuildError, DecodeError, Error, NotEmulatedError, TransportError,
};
#[cfg(feature = "raw")]
pub use generated::ROUTES;
pub use generated::{CATALOGUE, ENDPOINTS, PublicError, api, types};
pub use limiter::{LocalLimiter, RateLimiter};
pub use pages::{Paged, Pages};
pub use random::random_u32;
pub use region::Region;
pub use retry::RetryPolicy;
pub use usersig::{SecretKey, Signer};

/// Fields a partial spec entry does not model, by wire name (the envelope's
/// `ActionStatus`, `ErrorCode`, `ErrorInfo`, `ErrorDisplay` and `RequestId`
/// are never in it).
pub type Extra = serde_json::Map<String, serde_json::Value>;
pub use validate::{Problem, Validate, ValidationError, Violation};

/// The README's examples, compiled as doctests so they cannot rot (they
/// use the emulator, so they compile when the feature is on, as in
/// `cargo test --workspace`).
#[cfg(all(doctest, feature = "emulator"))]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
