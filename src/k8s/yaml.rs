//! YAML text → a tree of nodes that each know their line and column, for
//! [`super::manifest`]'s errors. `yaml-rust2`'s event parser gives a position for every
//! node; this module only builds the tree from those events. No I/O.

use super::manifest::ManifestError;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// What a node holds.
#[derive(Debug, Clone)]
pub enum Value {
    /// A scalar, as written (`1500M`, `'1'` → `1`).
    Scalar(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, keys in order.
    Map(Vec<(String, Node)>),
}

/// A YAML node and where it starts (1-based line and column).
#[derive(Debug, Clone)]
pub struct Node {
    /// What it holds.
    pub value: Value,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
}

impl Node {
    /// An error at this node.
    pub fn err(&self, message: impl Into<String>) -> ManifestError {
        ManifestError {
            line: self.line,
            col: self.col,
            message: message.into(),
        }
    }

    /// A mapping's value for `key` (None for a missing key or a non-mapping).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(kv) => kv.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A scalar's text; `what` names it in the error.
    pub fn str(&self, what: &str) -> Result<&str, ManifestError> {
        match &self.value {
            Value::Scalar(s) => Ok(s),
            _ => Err(self.err(format!("{what}: expected a string"))),
        }
    }

    /// A sequence's items; `what` names it in the error.
    pub fn seq(&self, what: &str) -> Result<&[Node], ManifestError> {
        match &self.value {
            Value::Seq(v) => Ok(v),
            _ => Err(self.err(format!("{what}: expected a list"))),
        }
    }
}

#[derive(Default)]
struct Builder {
    stack: Vec<(Node, Option<String>)>,
    docs: Vec<Node>,
}

impl Builder {
    fn push_value(&mut self, node: Node) {
        let Some((parent, key)) = self.stack.last_mut() else {
            self.docs.push(node);
            return;
        };
        match &mut parent.value {
            Value::Seq(v) => v.push(node),
            Value::Map(kv) => match key.take() {
                Some(k) => kv.push((k, node)),
                None => match node.value {
                    Value::Scalar(s) => *key = Some(s),
                    _ => *key = Some(String::new()),
                },
            },
            Value::Scalar(_) => {}
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let at = |value| Node {
            value,
            line: mark.line(),
            col: mark.col() + 1,
        };
        match ev {
            Event::Scalar(s, ..) => self.push_value(at(Value::Scalar(s))),
            Event::SequenceStart(..) => self.stack.push((at(Value::Seq(vec![])), None)),
            Event::MappingStart(..) => self.stack.push((at(Value::Map(vec![])), None)),
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((n, _)) = self.stack.pop() {
                    self.push_value(n);
                }
            }
            _ => {}
        }
    }
}

/// The YAML documents of `text` as trees, empty ones left out.
pub fn documents(text: &str) -> Result<Vec<Node>, ManifestError> {
    let mut b = Builder::default();
    Parser::new_from_str(text)
        .load(&mut b, true)
        .map_err(|e| ManifestError {
            line: e.marker().line(),
            col: e.marker().col() + 1,
            message: format!("malformed YAML: {}", e.info()),
        })?;
    b.docs
        .retain(|doc| !matches!(&doc.value, Value::Scalar(s) if s.is_empty() || s == "~"));
    Ok(b.docs)
}
