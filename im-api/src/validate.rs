//! Pre-send validation: every limit the spec declares is checked before any
//! I/O, and every problem is reported at once.

use std::fmt;

use serde::Serialize;

/// Implemented by generated request types and the shared types they contain.
pub trait Validate {
    /// Record every violation of this value into `v`.
    fn validate_into(&self, v: &mut Validator);

    /// Every limit this value breaks; empty when it is fine to send.
    fn violations(&self) -> Vec<Violation> {
        let mut v = Validator::default();
        self.validate_into(&mut v);
        v.violations
    }
}

#[derive(Debug, Clone, Copy)]
enum Seg {
    Key(&'static str),
    Index(usize),
}

/// Collects violations while walking a value. Used by generated code.
#[derive(Debug, Default)]
pub struct Validator {
    path: Vec<Seg>,
    violations: Vec<Violation>,
}

impl Validator {
    fn here(&self, key: &'static str) -> String {
        let mut s = String::new();
        for seg in self.path.iter().chain(std::iter::once(&Seg::Key(key))) {
            match seg {
                Seg::Key(k) => {
                    if !s.is_empty() {
                        s.push('.');
                    }
                    s.push_str(k);
                }
                Seg::Index(i) => {
                    s.push('[');
                    s.push_str(&i.to_string());
                    s.push(']');
                }
            }
        }
        s
    }

    /// The current path itself (its last segment may be an index).
    fn here_path(&self) -> String {
        let mut s = String::new();
        for seg in &self.path {
            match seg {
                Seg::Key(k) => {
                    if !s.is_empty() {
                        s.push('.');
                    }
                    s.push_str(k);
                }
                Seg::Index(i) => {
                    s.push('[');
                    s.push_str(&i.to_string());
                    s.push(']');
                }
            }
        }
        s
    }

    fn push(&mut self, key: &'static str, problem: Problem) {
        let field = self.here(key);
        self.violations.push(Violation { field, problem });
    }

    /// A string's emptiness and UTF-8 length.
    pub fn string(
        &mut self,
        key: &'static str,
        value: &str,
        non_empty: bool,
        min: Option<u64>,
        max: Option<u64>,
    ) {
        let len = value.len() as u64;
        if non_empty && value.trim().is_empty() {
            self.push(key, Problem::Empty);
        }
        if let Some(min) = min.filter(|m| len < *m) {
            self.push(
                key,
                Problem::TooShort {
                    min_bytes: min,
                    actual: len,
                },
            );
        }
        if let Some(max) = max.filter(|m| len > *m) {
            self.push(
                key,
                Problem::TooLong {
                    max_bytes: max,
                    actual: len,
                },
            );
        }
    }

    /// A list's emptiness and length.
    pub fn items(
        &mut self,
        key: &'static str,
        len: usize,
        non_empty: bool,
        min: Option<u64>,
        max: Option<u64>,
    ) {
        let len = len as u64;
        if non_empty && len == 0 {
            self.push(key, Problem::Empty);
        } else if let Some(min) = min.filter(|m| len < *m) {
            self.push(key, Problem::TooFewItems { min, actual: len });
        }
        if let Some(max) = max.filter(|m| len > *m) {
            self.push(key, Problem::TooManyItems { max, actual: len });
        }
    }

    /// An integer's range.
    pub fn integer(&mut self, key: &'static str, value: i128, min: Option<i64>, max: Option<i64>) {
        if let Some(min) = min.filter(|m| value < *m as i128) {
            self.push(key, Problem::BelowMinimum { min, actual: value });
        }
        if let Some(max) = max.filter(|m| value > *m as i128) {
            self.push(key, Problem::AboveMaximum { max, actual: value });
        }
    }

    /// Check the serialized JSON size of a value without allocating it.
    pub fn json_bytes<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T, max: u64) {
        let mut counter = ByteCounter(0);
        if serde_json::to_writer(&mut counter, value).is_ok() && counter.0 > max {
            self.push(
                key,
                Problem::JsonTooLarge {
                    max_bytes: max,
                    actual: counter.0,
                },
            );
        }
    }

    /// A nested value's own checks, under `key`.
    pub fn nested<T: Validate + ?Sized>(&mut self, key: &'static str, value: &T) {
        self.path.push(Seg::Key(key));
        value.validate_into(self);
        self.path.pop();
    }

    /// Each list item's own checks, under `key[i]`.
    pub fn each<T: Validate>(&mut self, key: &'static str, values: &[T]) {
        self.path.push(Seg::Key(key));
        for (i, value) in values.iter().enumerate() {
            self.path.push(Seg::Index(i));
            value.validate_into(self);
            self.path.pop();
        }
        self.path.pop();
    }

    /// Each string of a list holds at most `max` UTF-8 bytes.
    pub fn each_string(&mut self, key: &'static str, values: &[String], max: u64) {
        self.path.push(Seg::Key(key));
        for (i, value) in values.iter().enumerate() {
            let len = value.len() as u64;
            if len > max {
                self.path.push(Seg::Index(i));
                let field = self.here_path();
                self.path.pop();
                self.violations.push(Violation {
                    field,
                    problem: Problem::TooLong {
                        max_bytes: max,
                        actual: len,
                    },
                });
            }
        }
        self.path.pop();
    }

    /// A list holding `count` elements tagged `tag`, where one is the most.
    pub fn at_most_one(&mut self, key: &'static str, count: usize, tag: &'static str) {
        if count > 1 {
            self.push(
                key,
                Problem::Repeated {
                    tag,
                    actual: count as u64,
                },
            );
        }
    }

    /// Two fields that may not both be set are.
    pub fn conflict(&mut self, a: &'static str, b: &'static str, rule: &'static str) {
        self.push(b, Problem::Conflict { with: a, rule });
    }

    /// Neither of two fields is set, and one of them must be.
    pub fn one_of(&mut self, a: &'static str, b: &'static str, rule: &'static str) {
        self.push(a, Problem::MissingOneOf { other: b, rule });
    }
}

struct ByteCounter(u64);

impl std::io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One broken limit: which field (a path such as `MsgBody[0].MsgContent.Text`) and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where: `MsgBody[0].MsgContent.Text`.
    pub field: String,
    /// What.
    pub problem: Problem,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)
    }
}

/// How a value breaks its field's limit.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// Blank string or empty list where one is required.
    Empty,
    /// Fewer list items than `min`.
    TooFewItems {
        /// The least allowed.
        min: u64,
        /// What was given.
        actual: u64,
    },
    /// More list items than `max`.
    TooManyItems {
        /// The most allowed.
        max: u64,
        /// What was given.
        actual: u64,
    },
    /// A string shorter than `min_bytes` (UTF-8 bytes).
    TooShort {
        /// The least allowed.
        min_bytes: u64,
        /// What was given.
        actual: u64,
    },
    /// A string longer than `max_bytes` (UTF-8 bytes).
    TooLong {
        /// The most allowed.
        max_bytes: u64,
        /// What was given.
        actual: u64,
    },
    /// An integer below `min`.
    BelowMinimum {
        /// The least allowed.
        min: i64,
        /// What was given.
        actual: i128,
    },
    /// An integer above `max`.
    AboveMaximum {
        /// The most allowed.
        max: i64,
        /// What was given.
        actual: i128,
    },
    /// A value whose JSON takes more than `max_bytes`.
    JsonTooLarge {
        /// The most allowed.
        max_bytes: u64,
        /// What it takes.
        actual: u64,
    },
    /// Set together with a field it excludes.
    Conflict {
        /// The other field.
        with: &'static str,
        /// The spec's rule.
        rule: &'static str,
    },
    /// Neither this field nor `other` is set; one of them is required.
    MissingOneOf {
        /// The other field.
        other: &'static str,
        /// The spec's rule.
        rule: &'static str,
    },
    /// An element type that may appear once appears `actual` times.
    Repeated {
        /// The element's tag (`TIMCustomElem`).
        tag: &'static str,
        /// How many there are.
        actual: u64,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "must not be empty"),
            Self::TooFewItems { min, actual } => {
                write!(f, "{actual} items, at least {min} required")
            }
            Self::TooManyItems { max, actual } => {
                write!(f, "{actual} items, at most {max} allowed")
            }
            Self::TooShort { min_bytes, actual } => {
                write!(f, "{actual} bytes, at least {min_bytes} required")
            }
            Self::TooLong { max_bytes, actual } => {
                write!(f, "{actual} bytes, at most {max_bytes} allowed")
            }
            Self::BelowMinimum { min, actual } => write!(f, "{actual} is below the minimum {min}"),
            Self::AboveMaximum { max, actual } => write!(f, "{actual} is above the maximum {max}"),
            Self::JsonTooLarge { max_bytes, actual } => {
                write!(f, "{actual} bytes of JSON, at most {max_bytes} allowed")
            }
            Self::Conflict { with, rule } => write!(f, "not allowed together with {with} ({rule})"),
            Self::MissingOneOf { other, rule } => write!(f, "this or {other} must be set ({rule})"),
            Self::Repeated { tag, actual } => {
                write!(f, "{actual} {tag} elements, at most one allowed")
            }
        }
    }
}

/// A request that breaks its spec's limits. Nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// `service/command`.
    pub endpoint: &'static str,
    /// Every broken limit, in field order.
    pub violations: Vec<Violation>,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: invalid request, nothing sent: ", self.endpoint)?;
        for (i, v) in self.violations.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationError {}
