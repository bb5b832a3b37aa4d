//! Diagnostics: every spec problem with its file, line, column, entry and field.

use std::cell::RefCell;
use std::fmt;

use toml::Spanned;

/// Where a problem sits: a spec file and a byte range inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The spec file as the user named it (relative to their manifest).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// One spec problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub location: Location,
    /// The entry, e.g. "endpoint `openim/batchsendmsg`" or "struct `TextElem`".
    pub entry: Option<String>,
    /// The field's wire name, when the problem is in a field.
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.location)?;
        if let Some(entry) = &self.entry {
            write!(f, "{entry}")?;
            if let Some(field) = &self.field {
                write!(f, ", field `{field}`")?;
            }
            write!(f, ": ")?;
        }
        f.write_str(&self.message)
    }
}

/// All problems found in a set of spec files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// A spec file's text, used to turn byte offsets into line and column.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: String,
}

impl Source {
    pub fn location(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let before = &self.text[..floor_char_boundary(&self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() + 1;
        Location {
            file: self.name.clone(),
            line,
            col,
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Collects diagnostics during lowering; the serde_derive `Ctxt` idea. Shared
/// (`&Ctxt`) so that a scope can report while the spec is being built.
#[derive(Debug, Default)]
pub(crate) struct Ctxt {
    diags: RefCell<Vec<Diagnostic>>,
}

impl Ctxt {
    /// A problem at `offset` of `src`, outside any entry (TOML syntax errors).
    pub(crate) fn error(&self, src: &Source, offset: usize, message: impl Into<String>) {
        self.push(src, offset, None, None, message.into());
    }

    /// A reporter for one entry of `src` ("endpoint `openim/sendmsg`").
    pub(crate) fn scope<'a>(&'a self, src: &'a Source, entry: impl Into<String>) -> Scope<'a> {
        Scope {
            cx: self,
            src,
            entry: entry.into(),
            field: None,
        }
    }

    /// How many problems were reported so far.
    pub(crate) fn count(&self) -> usize {
        self.diags.borrow().len()
    }

    pub(crate) fn into_diagnostics(self) -> Diagnostics {
        Diagnostics(self.diags.into_inner())
    }

    fn push(
        &self,
        src: &Source,
        offset: usize,
        entry: Option<&str>,
        field: Option<&str>,
        message: String,
    ) {
        self.diags.borrow_mut().push(Diagnostic {
            location: src.location(offset),
            entry: entry.map(str::to_owned),
            field: field.map(str::to_owned),
            message,
        });
    }
}

/// Reports problems of one entry (and optionally one field of it), each
/// pointing at a spanned value: `scope.error(&e.summary, "must not be empty")`.
#[derive(Clone)]
pub(crate) struct Scope<'a> {
    cx: &'a Ctxt,
    src: &'a Source,
    entry: String,
    field: Option<String>,
}

impl<'a> Scope<'a> {
    /// The same entry, narrowed to the field with this wire name.
    pub(crate) fn field(&self, wire: &str) -> Scope<'a> {
        Scope {
            field: Some(wire.to_owned()),
            ..self.clone()
        }
    }

    /// A problem at a spanned value.
    pub(crate) fn error<T>(&self, at: &Spanned<T>, message: impl Into<String>) {
        self.error_at(at.span().start, message);
    }

    /// A problem at a byte offset of the entry's file.
    pub(crate) fn error_at(&self, offset: usize, message: impl Into<String>) {
        self.cx.push(
            self.src,
            offset,
            Some(&self.entry),
            self.field.as_deref(),
            message.into(),
        );
    }

    /// A problem in the field `wire`, at a spanned value.
    pub(crate) fn field_error<T>(&self, at: &Spanned<T>, wire: &str, message: impl Into<String>) {
        self.field(wire).error(at, message);
    }
}
