//! The machinery of a state table: rows as data, the [`State`] and
//! [`Follows`] traits, and the `handshake_table!` macro that each protocol
//! version's table (`tls12::table`, `tls13::table`) is written in.
//!
//! One row per handshake state, named after the message that comes next, as
//! in s2n-tls's `state_machine[]` (see `shared/seed-tls-state-machine.md`):
//! the record type that carries it, the handshake message type, and the
//! writer column — `C` (the client writes), `S` (the server writes), `B`
//! (both: application data). Two columns are ours: `known`, the type of
//! what both sides know once the handshake reaches the state, and `next`,
//! the states that may follow. A row marked `skip X` is optional: the peer
//! may leave its message out, and then the message of state `X` is next.
//!
//! From each table the macro derives
//! - the zero-sized marker type of each state (`state::ServerHello`, ...),
//! - their [`State`] impls (record type, message type, writer, known),
//! - the [`Follows`] edges, so a transition to a state the table does not
//!   list after the current one does not compile,
//! - the table's `TABLE` and `row()`, from which [`State::accepts`] checks
//!   every incoming record at run time and [`render_markdown`] writes its
//!   section of `docs/state-machine.md`.
//!
//! Nothing else in the crate lists the states by hand; the only edges
//! written outside a table are the cross-table ones in `negotiate/`.

use super::role::{Sealed, Writer, WriterColumn};
use crate::enums::{ContentType, HandshakeType};

/// One row of the state table, as data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    /// The state's name (also its marker type's name).
    pub name: &'static str,
    /// The record content type that carries the state's message.
    pub record: ContentType,
    /// The handshake message type, for handshake records.
    pub message: Option<HandshakeType>,
    /// Who writes the message.
    pub writer: WriterColumn,
    /// The states that may follow this one.
    pub next: &'static [&'static str],
    /// For an optional row: the state whose message comes instead when the
    /// peer leaves this one out.
    pub skip_to: Option<&'static str>,
    /// That state's row.
    pub skip_row: Option<&'static Row>,
}

impl Row {
    fn matches(&self, record: ContentType, message: Option<HandshakeType>) -> bool {
        self.record == record && (self.message.is_none() || self.message == message)
    }

    /// Whether a record (and, for handshake records, its message type) may
    /// arrive at this state: the state's own message, or, if the row is
    /// optional, the message of the state it skips to.
    pub fn accepts(&self, record: ContentType, message: Option<HandshakeType>) -> bool {
        self.matches(record, message)
            || self
                .skip_row
                .is_some_and(|row| row.matches(record, message))
    }

    /// What this state expects, in words, for error messages.
    pub fn expected(&self) -> &'static str {
        self.name
    }
}

/// A handshake state: a zero-sized marker generated from its table row.
pub trait State: Sealed + Sized + 'static {
    /// The writer column: [`C`](super::C), [`S`](super::S) or [`B`](super::B).
    type Writer: Writer;
    /// What both sides know once the handshake is at this state.
    type Known;
    /// The state's row in its table's `TABLE`.
    const ROW: &'static Row;

    /// Whether a record may arrive at this state (see [`Row::accepts`]).
    fn accepts(record: ContentType, message: Option<HandshakeType>) -> bool {
        Self::ROW.accepts(record, message)
    }
}

/// `Next: Follows<Prev>` holds exactly when the table lists `Next` after
/// `Prev`. Every transition in the crate goes through
/// `Handshake::advance`, which requires it.
#[diagnostic::on_unimplemented(
    message = "the state table does not list `{Self}` after `{Prev}`",
    label = "no such edge in the state table"
)]
pub trait Follows<Prev: State>: State {}

/// The last state of a table (`HandshakeOver`): entered only through
/// `Handshake::finish`, with proof that the peer's Finished verified.
pub trait Final: State {}

macro_rules! message_type {
    (-) => {
        None
    };
    ($m:ident) => {
        Some($crate::enums::HandshakeType::$m)
    };
}
pub(crate) use message_type;

macro_rules! handshake_table {
    ($(
        $(#[$doc:meta])*
        $state:ident: $record:ident, $msg:tt, $writer:ident, $known:ident, [$($next:ident),*] $(, skip $skip:ident)?;
    )*) => {
        /// The state marker types, one per row of the table. They are
        /// uninhabited: they exist only as type parameters.
        pub mod state {
            $(
                $(#[$doc])*
                #[derive(Debug)]
                pub enum $state {}
            )*
        }

        $(
            impl $crate::handshake::role::Sealed for state::$state {}

            impl $crate::handshake::table::State for state::$state {
                type Writer = $writer;
                type Known = $known;
                const ROW: &'static $crate::handshake::table::Row = &$crate::handshake::table::Row {
                    name: stringify!($state),
                    record: $crate::enums::ContentType::$record,
                    message: $crate::handshake::table::message_type!($msg),
                    writer: <$writer as $crate::handshake::role::Writer>::COLUMN,
                    next: &[$(stringify!($next)),*],
                    skip_to: $crate::handshake::table::handshake_table!(@skip $($skip)?),
                    skip_row: $crate::handshake::table::handshake_table!(@skip_row $($skip)?),
                };
            }

            $( impl $crate::handshake::table::Follows<state::$state> for state::$next {} )*
        )*

        /// The whole table, in protocol order.
        pub static TABLE: &[$crate::handshake::table::Row] =
            &[$(*<state::$state as $crate::handshake::table::State>::ROW),*];

        /// The row of the state named `name`, if the table has one.
        pub fn row(name: &str) -> Option<&'static $crate::handshake::table::Row> {
            TABLE.iter().find(|row| row.name == name)
        }
    };
    (@skip) => { None };
    (@skip $skip:ident) => { Some(stringify!($skip)) };
    (@skip_row) => { None };
    (@skip_row $skip:ident) => {
        Some(<state::$skip as $crate::handshake::table::State>::ROW)
    };
}
pub(crate) use handshake_table;

/// A handshake shape: short name, description, and its path of state names.
pub type ShapePath = (&'static str, &'static str, &'static [&'static str]);

/// Appends a table's section of `docs/state-machine.md`: the rows, the
/// shapes (after `shapes_intro`), and a mermaid diagram whose edges are
/// labelled with the shapes that take them. `heading` is the section's
/// level-2 title.
pub fn render_markdown(
    out: &mut String,
    heading: &str,
    table: &[Row],
    shapes: &[ShapePath],
    shapes_intro: &str,
) {
    use core::fmt::Write as _;
    let _ = writeln!(out, "## {heading}\n");
    out.push_str("| state | record | message | writer | optional | may be followed by |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for row in table {
        let message = row.message.map_or("-".to_string(), |m| m.to_string());
        let optional = row
            .skip_to
            .map_or(String::new(), |skip| format!("yes, else {skip}"));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            row.name,
            row.record,
            message,
            row.writer.letter(),
            optional,
            row.next.join(", ")
        );
    }
    let _ = writeln!(out, "\n### {heading}: handshake shapes\n");
    out.push_str(shapes_intro);
    out.push_str("\n\n");
    for (short, name, path) in shapes {
        let _ = writeln!(out, "- **{name}** (`{short}`): {}", path.join(" → "));
    }
    let _ = writeln!(out, "\n### {heading}: diagram");
    out.push_str("\n```mermaid\nstateDiagram-v2\n");
    if let Some(first) = table.first() {
        let _ = writeln!(out, "    [*] --> {}", first.name);
    }
    for row in table {
        let message = row
            .message
            .map_or(row.record.to_string(), |m| m.to_string());
        let _ = writeln!(
            out,
            "    {}: {} ({} writes {})",
            row.name,
            row.name,
            row.writer.letter(),
            message
        );
        for next in row.next {
            // Label each edge with the shapes that take it.
            let taking: Vec<&str> = shapes
                .iter()
                .filter(|(_, _, path)| {
                    path.windows(2)
                        .any(|pair| pair[0] == row.name && pair[1] == *next)
                })
                .map(|(short, _, _)| *short)
                .collect();
            match taking.is_empty() {
                true => {
                    let _ = writeln!(out, "    {} --> {}", row.name, next);
                }
                false => {
                    let _ = writeln!(out, "    {} --> {}: {}", row.name, next, taking.join(", "));
                }
            }
        }
        if row.next.is_empty() {
            let _ = writeln!(out, "    {} --> [*]", row.name);
        }
    }
    out.push_str("```\n\n");
}
