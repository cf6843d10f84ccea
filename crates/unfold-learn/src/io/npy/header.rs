//! The header of a `.npy` file, as numpy's format specification (`numpy/lib/format.py`) lays
//! it out: the magic string `\x93NUMPY`, a major and a minor version byte (1.0, 2.0 or 3.0), the
//! length of the header text (`u16` little-endian in version 1, `u32` in versions 2 and 3), then
//! the text: a Python dict literal such as `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`,
//! padded with spaces and ended by a newline (latin-1 in versions 1 and 2, UTF-8 in version 3).
//! The array's bytes follow.
//!
//! The dict is read by a small parser of the Python literals it can hold (strings, `True`/`False`,
//! integers, tuples, lists), with numpy's own limits: at most 10,000 bytes of header, exactly the
//! keys `descr`, `fortran_order` and `shape`, a shape of non-negative integers.

use std::path::Path;

use crate::error::{Error, Result};

/// The longest header text read, as numpy's `max_header_size` default.
const MAX_HEADER_LEN: usize = 10_000;
/// The deepest nesting of brackets read (a structured dtype nests a few levels).
const MAX_DEPTH: usize = 16;

/// The kind of an element: the letter of a numpy dtype string (`'<f4'` is `Float`, 4 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TypeChar {
    /// `b` (`|b1`, numpy's bool) or `?`.
    Bool,
    /// `i`: signed integers.
    Int,
    /// `u`: unsigned integers.
    Uint,
    /// `f`: IEEE floats.
    Float,
    /// `c`: complex floats.
    Complex,
    /// `m`: `timedelta64`.
    TimeDelta,
    /// `M`: `datetime64`.
    DateTime,
    /// `S` or `a`: zero-padded byte strings of `size` bytes.
    ByteStr,
    /// `U`: zero-padded UTF-32 strings of `size` characters (`4 × size` bytes).
    UnicodeStr,
    /// `V`: raw bytes.
    RawData,
    /// `O`: Python objects (the body is a pickle).
    Object,
}

/// A parsed header: what the body holds and where it starts.
pub(crate) struct Header {
    /// The dtype string as the file spells it, for messages.
    pub descr: String,
    pub type_char: TypeChar,
    /// Bytes per element; characters per element for [`TypeChar::UnicodeStr`].
    pub size: usize,
    pub big_endian: bool,
    pub shape: Vec<usize>,
    pub fortran: bool,
    /// Where the body starts.
    pub offset: usize,
}

/// Parses the header at the start of `bytes`; `path` names the file in errors.
///
/// # Errors
/// [`Error::Format`] naming the file: empty, not a `.npy` file, another format version, a
/// truncated or malformed header, an object array, or a dtype that is not one element type
/// (structured arrays).
pub(crate) fn parse_header(bytes: &[u8], path: &Path) -> Result<Header> {
    let malformed = |what: String| Error::format(path, format!("malformed .npy header: {what}"));
    if bytes.is_empty() {
        return Err(Error::format(path, "the file is empty"));
    }
    if bytes.len() < 6 || &bytes[..6] != b"\x93NUMPY" {
        return Err(Error::format(path, "not a .npy file (the magic string \\x93NUMPY is missing)"));
    }
    let truncated = || malformed(format!("truncated: the file ends at byte {} inside the header", bytes.len()));
    let Some(&[major, minor]) = bytes.get(6..8) else { return Err(truncated()) };
    let (len_bytes, utf8) = match (major, minor) {
        (1, 0) => (2, false),
        (2, 0) => (4, false),
        (3, 0) => (4, true),
        _ => return Err(malformed(format!("format version {major}.{minor} is not one of those numpy writes (1.0, 2.0, 3.0)"))),
    };
    let start = 8 + len_bytes;
    let len_field = bytes.get(8..start).ok_or_else(truncated)?;
    let len = len_field.iter().rev().fold(0usize, |acc, &b| (acc << 8) | b as usize);
    if len > MAX_HEADER_LEN {
        return Err(malformed(format!("the header is {len} bytes long; numpy itself reads at most {MAX_HEADER_LEN}")));
    }
    let raw = bytes.get(start..start + len).ok_or_else(|| {
        malformed(format!("truncated: the header says it is {len} bytes long, but the file ends {} bytes after its start", bytes.len() - start))
    })?;
    let text: String = if utf8 {
        std::str::from_utf8(raw).map_err(|_| malformed("the header is not UTF-8 text (format version 3.0)".into()))?.to_string()
    } else {
        raw.iter().map(|&b| b as char).collect() // latin-1
    };
    let dict = Parser::new(&text).document().map_err(malformed)?;
    let fields = read_dict(dict).map_err(malformed)?;
    let (type_char, size, big_endian) = match &fields.descr {
        Value::Str(s) => parse_descr(s).ok_or_else(|| unsupported(path, s))?,
        list @ Value::List(_) => {
            return Err(Error::format(
                path,
                format!("unsupported dtype {}: a structured array (named fields); only plain numeric arrays are read", list.show()),
            ));
        }
        other => return Err(malformed(format!("'descr' must be a dtype string such as '<f4', got {}", other.show()))),
    };
    if type_char == TypeChar::Object {
        return Err(Error::format(
            path,
            "an object array (dtype=object) holds Python objects, not numeric data; save it with a \
             numeric dtype, e.g. `np.save(file, x.astype(np.float32))` (labels may also be strings: `x.astype(str)`)",
        ));
    }
    let Value::Str(descr) = fields.descr else { unreachable!("checked above") };
    Ok(Header { descr, type_char, size, big_endian, shape: fields.shape, fortran: fields.fortran, offset: start + len })
}

/// The error for a dtype string this crate does not read.
pub(crate) fn unsupported(path: &Path, descr: &str) -> Error {
    Error::format(path, format!("unsupported dtype `{descr}`; use a float, integer or bool array"))
}

/// The element type of a dtype string (`'<f4'`, `'|u1'`, `'>i8'`, `'<U5'`, `'|O'`, `'<M8[ns]'`):
/// kind, size, big-endian. `None` for strings numpy would not write for one element type.
fn parse_descr(descr: &str) -> Option<(TypeChar, usize, bool)> {
    let (big, rest) = match descr.as_bytes().first()? {
        b'>' | b'!' => (true, &descr[1..]),
        b'<' | b'|' | b'=' => (false, &descr[1..]),
        _ => (cfg!(target_endian = "big"), descr),
    };
    let mut chars = rest.chars();
    let tc = match chars.next()? {
        'b' | '?' => TypeChar::Bool,
        'i' => TypeChar::Int,
        'u' => TypeChar::Uint,
        'f' => TypeChar::Float,
        'c' => TypeChar::Complex,
        'm' => TypeChar::TimeDelta,
        'M' => TypeChar::DateTime,
        'S' | 'a' => TypeChar::ByteStr,
        'U' => TypeChar::UnicodeStr,
        'V' => TypeChar::RawData,
        'O' => TypeChar::Object,
        _ => return None,
    };
    let rest = chars.as_str();
    let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    let (number, unit) = rest.split_at(digits);
    let size = match (number.parse::<usize>().ok(), tc) {
        (Some(s), _) => s,
        (None, TypeChar::Object) => 8,
        (None, TypeChar::Bool) if rest.is_empty() => 1, // '?'
        _ => return None,
    };
    let unit_ok = match tc {
        TypeChar::TimeDelta | TypeChar::DateTime => unit.is_empty() || (unit.starts_with('[') && unit.ends_with(']')),
        _ => unit.is_empty(),
    };
    unit_ok.then_some((tc, size, big))
}

/// The three values of the header's dict.
struct Fields {
    descr: Value,
    fortran: bool,
    shape: Vec<usize>,
}

/// Checks the dict's keys and the types of its values, as numpy's reader does.
fn read_dict(dict: Value) -> std::result::Result<Fields, String> {
    let Value::Dict(entries) = dict else {
        return Err(format!("the header is not a dict but {}", dict.show()));
    };
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    let keys = || entries.iter().map(|(k, _)| k.show()).collect::<Vec<_>>().join(", ");
    for (key, value) in &entries {
        let slot = match key {
            Value::Str(k) if k == "descr" => &mut descr,
            Value::Str(k) if k == "fortran_order" => &mut fortran,
            Value::Str(k) if k == "shape" => &mut shape,
            _ => return Err(format!("the dict must hold exactly the keys 'descr', 'fortran_order' and 'shape', it holds {}", keys())),
        };
        *slot = Some(value);
    }
    let (Some(descr), Some(fortran), Some(shape)) = (descr, fortran, shape) else {
        return Err(format!("the dict must hold exactly the keys 'descr', 'fortran_order' and 'shape', it holds {}", keys()));
    };
    let &Value::Bool(fortran) = fortran else {
        return Err(format!("'fortran_order' must be True or False, got {}", fortran.show()));
    };
    let Value::Tuple(dims) = shape else {
        return Err(format!("'shape' must be a tuple of integers, got {}", shape.show()));
    };
    let shape = dims
        .iter()
        .map(|v| match v {
            Value::Int(Some(i)) if *i >= 0 => usize::try_from(*i).map_err(|_| format!("'shape' value {i} is too large")),
            Value::Int(Some(i)) => Err(format!("'shape' holds the negative dimension {i}")),
            Value::Int(None) => Err("a 'shape' value is too large (beyond 64 bits)".to_string()),
            other => Err(format!("'shape' must be a tuple of integers, it holds {}", other.show())),
        })
        .collect::<std::result::Result<Vec<usize>, String>>()?;
    Ok(Fields { descr: descr.clone(), fortran, shape })
}

/// A Python literal of the kinds a `.npy` header holds.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Str(String),
    Bool(bool),
    /// `None` when beyond `i64` (Python's integers are unbounded).
    Int(Option<i64>),
    PyNone,
    Tuple(Vec<Value>),
    List(Vec<Value>),
    Dict(Vec<(Value, Value)>),
}

impl Value {
    /// The value as Python would print it (for messages).
    fn show(&self) -> String {
        let join = |v: &[Value]| v.iter().map(Value::show).collect::<Vec<_>>().join(", ");
        match self {
            Value::Str(s) => format!("'{s}'"),
            Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
            Value::Int(Some(i)) => i.to_string(),
            Value::Int(None) => "(an integer beyond 64 bits)".to_string(),
            Value::PyNone => "None".to_string(),
            Value::Tuple(v) if v.len() == 1 => format!("({},)", v[0].show()),
            Value::Tuple(v) => format!("({})", join(v)),
            Value::List(v) => format!("[{}]", join(v)),
            Value::Dict(e) => format!("{{{}}}", e.iter().map(|(k, v)| format!("{}: {}", k.show(), v.show())).collect::<Vec<_>>().join(", ")),
        }
    }
}

/// A recursive-descent reader of the header text; positions in messages count characters from 1.
struct Parser {
    chars: Vec<char>,
    at: usize,
}

type Parsed<T> = std::result::Result<T, String>;

impl Parser {
    fn new(text: &str) -> Self {
        Parser { chars: text.chars().collect(), at: 0 }
    }

    /// The whole text: one value between optional whitespace.
    fn document(&mut self) -> Parsed<Value> {
        let v = self.value(0)?;
        self.skip_space();
        if self.at < self.chars.len() {
            return Err(self.expected("the end of the header after its dict"));
        }
        Ok(v)
    }

    fn expected(&self, what: &str) -> String {
        match self.chars.get(self.at) {
            Some(c) => format!("expected {what} at character {} of the header, found {c:?}", self.at + 1),
            None => format!("expected {what}, but the header text ends"),
        }
    }

    fn skip_space(&mut self) {
        while self.chars.get(self.at).is_some_and(|c| c.is_whitespace()) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_space();
        self.chars.get(self.at).copied()
    }

    fn value(&mut self, depth: usize) -> Parsed<Value> {
        if depth > MAX_DEPTH {
            return Err(format!("brackets nested more than {MAX_DEPTH} deep at character {}", self.at + 1));
        }
        match self.peek() {
            Some('{') => self.dict(depth),
            Some('(') => self.sequence(depth, ')').map(|(items, comma)| match items.len() {
                // `(x)` is x in parentheses, not a tuple: Python needs the comma.
                1 if !comma => items.into_iter().next().expect("one item"),
                _ => Value::Tuple(items),
            }),
            Some('[') => self.sequence(depth, ']').map(|(items, _)| Value::List(items)),
            Some('\'' | '"') => self.string().map(Value::Str),
            Some(c) if c.is_ascii_digit() || c == '-' || c == '+' => self.integer(),
            Some(c) if c.is_alphabetic() => match self.word().as_str() {
                "True" => Ok(Value::Bool(true)),
                "False" => Ok(Value::Bool(false)),
                "None" => Ok(Value::PyNone),
                _ => Err(self.expected("a Python literal (a string, number, True, False, tuple or list)")),
            },
            _ => Err(self.expected("a Python literal (a string, number, True, False, tuple or list)")),
        }
    }

    /// A run of letters, digits and `_` (or nothing, leaving the position where it was).
    fn word(&mut self) -> String {
        let start = self.at;
        while self.chars.get(self.at).is_some_and(|c| c.is_alphanumeric() || *c == '_') {
            self.at += 1;
        }
        let w: String = self.chars[start..self.at].iter().collect();
        if !matches!(w.as_str(), "True" | "False" | "None") {
            self.at = start;
        }
        w
    }

    /// `{key: value, …}`, a trailing comma allowed.
    fn dict(&mut self, depth: usize) -> Parsed<Value> {
        self.at += 1; // '{'
        let mut entries = Vec::new();
        loop {
            if self.peek() == Some('}') {
                self.at += 1;
                return Ok(Value::Dict(entries));
            }
            let key = self.value(depth + 1)?;
            if self.peek() != Some(':') {
                return Err(self.expected("':' after a dict key"));
            }
            self.at += 1;
            let value = self.value(depth + 1)?;
            entries.push((key, value));
            match self.peek() {
                Some(',') => self.at += 1,
                Some('}') => {}
                _ => return Err(self.expected("',' or '}' in the dict")),
            }
        }
    }

    /// Items up to `close`, a trailing comma allowed; also whether any comma was seen.
    fn sequence(&mut self, depth: usize, close: char) -> Parsed<(Vec<Value>, bool)> {
        self.at += 1; // '(' or '['
        let (mut items, mut comma) = (Vec::new(), false);
        loop {
            if self.peek() == Some(close) {
                self.at += 1;
                return Ok((items, comma));
            }
            items.push(self.value(depth + 1)?);
            match self.peek() {
                Some(',') => {
                    self.at += 1;
                    comma = true;
                }
                Some(c) if c == close => {}
                _ => return Err(self.expected(&format!("',' or '{close}'"))),
            }
        }
    }

    /// A quoted string; a backslash takes the next character as it is.
    fn string(&mut self) -> Parsed<String> {
        let quote = self.chars[self.at];
        self.at += 1;
        let mut out = String::new();
        loop {
            match self.chars.get(self.at) {
                None | Some('\n') => return Err(format!("a string is not closed (it opens with {quote} before character {})", self.at + 1)),
                Some('\\') => {
                    let c = *self.chars.get(self.at + 1).ok_or_else(|| self.expected("a character after '\\'"))?;
                    out.push(c);
                    self.at += 2;
                }
                Some(&c) if c == quote => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(&c) => {
                    out.push(c);
                    self.at += 1;
                }
            }
        }
    }

    /// A decimal integer, with an optional sign and the `L` suffix of Python 2's longs (which
    /// numpy still reads in version 1.0 and 2.0 files).
    fn integer(&mut self) -> Parsed<Value> {
        let negative = self.chars[self.at] == '-';
        if matches!(self.chars[self.at], '-' | '+') {
            self.at += 1;
        }
        let mut value: Option<i64> = Some(0);
        let start = self.at;
        while let Some(d) = self.chars.get(self.at).and_then(|c| c.to_digit(10)) {
            value = value.and_then(|v| v.checked_mul(10)).and_then(|v| if negative { v.checked_sub(d as i64) } else { v.checked_add(d as i64) });
            self.at += 1;
        }
        if self.at == start {
            return Err(self.expected("digits"));
        }
        if matches!(self.chars.get(self.at), Some('L' | 'l')) {
            self.at += 1;
        }
        Ok(Value::Int(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A version 1.0 file with header text `dict` and no body.
    fn file(dict: &str) -> Vec<u8> {
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(dict.len() as u16 + 1).to_le_bytes());
        out.extend_from_slice(dict.as_bytes());
        out.push(b'\n');
        out
    }

    fn parse(dict: &str) -> Result<Header> {
        parse_header(&file(dict), Path::new("h.npy"))
    }

    fn message(dict: &str) -> String {
        match parse(dict) {
            Ok(_) => panic!("{dict} was accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn numpy_headers() {
        let h = parse("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }").unwrap();
        assert_eq!((h.type_char, h.size, h.big_endian, h.fortran, &h.shape[..]), (TypeChar::Float, 4, false, false, &[3, 4][..]));
        let h = parse("{'descr': '>i8', 'fortran_order': True, 'shape': (7,), }").unwrap();
        assert_eq!((h.type_char, h.size, h.big_endian, h.fortran, &h.shape[..]), (TypeChar::Int, 8, true, true, &[7][..]));
        // Keys in another order, double quotes, Python 2 longs, no trailing comma, a scalar.
        let h = parse("{\"shape\": (2L, 5L), \"fortran_order\": False, \"descr\": \"|b1\"}").unwrap();
        assert_eq!((h.type_char, h.size, &h.shape[..]), (TypeChar::Bool, 1, &[2, 5][..]));
        assert!(parse("{'descr': '<U5', 'fortran_order': False, 'shape': (), }").unwrap().shape.is_empty());
        assert_eq!(parse("{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (1,), }").unwrap().type_char, TypeChar::DateTime);
    }

    #[test]
    fn every_malformed_header_says_what() {
        let cases = [
            ("{'descr': '<f4', 'fortran_order': False}", "exactly the keys"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), 'x': 1}", "exactly the keys"),
            ("{'descr': '<f4', 'fortran_order': 0, 'shape': (3, 4)}", "'fortran_order' must be True or False, got 0"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': [3, 4]}", "'shape' must be a tuple of integers, got [3, 4]"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (3)}", "'shape' must be a tuple of integers, got 3"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (-3, 4)}", "negative dimension -3"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999, 4)}", "too large"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4.5)}", "expected ',' or ')'"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4)", "expected ',' or '}' in the dict, but the header text ends"),
            ("{'descr': '<f4, 'fortran_order': False, 'shape': (3, 4)}", "expected ',' or '}' in the dict at character 18 of the header, found 'f'"),
            ("{'descr' '<f4', 'fortran_order': False, 'shape': (3, 4)}", "expected ':' after a dict key"),
            ("['descr', '<f4']", "not a dict"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4)} junk", "the end of the header"),
            ("{'descr': '<x4', 'fortran_order': False, 'shape': (3, 4)}", "unsupported dtype `<x4`"),
            ("{'descr': '<f', 'fortran_order': False, 'shape': (3, 4)}", "unsupported dtype `<f`"),
            ("{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (3,)}", "structured array"),
            ("{'descr': '|O', 'fortran_order': False, 'shape': (3,)}", "object array"),
            ("{'descr': 3, 'fortran_order': False, 'shape': (3,)}", "malformed .npy header: 'descr' must be a dtype string such as '<f4', got 3"),
            (&format!("{{'descr': {}'<f4'{}, 'fortran_order': False, 'shape': (3,)}}", "(".repeat(40), ")".repeat(40)), "nested more than"),
        ];
        for (dict, want) in cases {
            let e = message(dict);
            assert!(e.starts_with("h.npy: ") && e.contains(want), "{dict}: {e}");
        }
    }

    #[test]
    fn magic_version_and_length() {
        let at = |b: &[u8]| parse_header(b, Path::new("h.npy")).err().unwrap().to_string();
        let good = file("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }");
        assert!(at(&good[..7]).contains("truncated"), "{}", at(&good[..7]));
        assert!(at(&good[..9]).contains("truncated"));
        assert!(at(&good[..30]).contains("truncated: the header says it is"));
        let mut v4 = good.clone();
        v4[6] = 4;
        assert!(at(&v4).contains("format version 4.0"));
        // Version 2.0: a 4-byte length.
        let mut v2 = b"\x93NUMPY\x02\x00".to_vec();
        v2.extend_from_slice(&((good.len() - 10) as u32).to_le_bytes());
        v2.extend_from_slice(&good[10..]);
        assert_eq!(parse_header(&v2, Path::new("h.npy")).unwrap().offset, v2.len());
        let mut long = v2[..8].to_vec();
        long.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(at(&long).contains("numpy itself reads at most 10000"));
        // Version 3.0 is UTF-8; 1.0 is latin-1 (a byte ≥ 0x80 is a character, here in a bad key).
        let mut v3 = v2.clone();
        v3[6] = 3;
        assert!(parse_header(&v3, Path::new("h.npy")).is_ok());
        let mut bad = v3.clone();
        bad[14] = 0xff;
        assert!(at(&bad).contains("not UTF-8"));
        let mut latin = good.clone();
        latin[12] = 0xe9;
        assert!(at(&latin).contains("exactly the keys"), "{}", at(&latin));
    }
}
