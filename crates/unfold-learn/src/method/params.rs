//! Parameters declared once: [`method_params!`](crate::method_params) writes a method's
//! parameter struct, its `Default` (the peer library's defaults), its range checks and its
//! [`ParamSpec`] table from one declaration. The command line builds its flags and `--help` from
//! the table, Python its keyword arguments and stub, and both set values by name through
//! [`Params::set`], so a parameter is spelled out in one place.

use std::fmt;

use crate::error::{Error, Result};

/// A parameter value as a front end hands it over: typed by the front end (Python) or parsed from
/// text (command line, see [`Value::parse`]). Model files keep a model's parameters as these
/// ([`crate::io::model`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Value {
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
    /// A word: a choice such as `"auto"`, or a name.
    Text(String),
    /// No value: Python's `None`.
    None,
    /// An array of numbers, row-major, with its shape (`[n]` or `[rows, cols]`): starting
    /// coordinates given by the user. The command line reads it from a file, Python passes a
    /// numpy array.
    Array {
        /// The values, row-major.
        values: Vec<f64>,
        /// The shape.
        shape: Vec<usize>,
    },
    /// A metric with its parameters (`metric` with umap-learn's `metric_kwds`), built by the
    /// front end that read them (`--metric-kwds`, Python's dict of arrays).
    Metric(crate::metric::Metric),
}

impl Value {
    /// A value from command-line text: `true`/`false`, an integer, a number, `none`, or else the
    /// word itself.
    pub fn parse(text: &str) -> Value {
        let t = text.trim();
        match t {
            "true" | "True" => Value::Bool(true),
            "false" | "False" => Value::Bool(false),
            "none" | "None" => Value::None,
            _ => {
                if let Ok(i) = t.parse::<i64>() {
                    Value::Int(i)
                } else if let Ok(f) = t.parse::<f64>() {
                    Value::Float(f)
                } else {
                    Value::Text(t.to_string())
                }
            }
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            // 2.0 stays 2.0: a float where a whole number is expected must not read as one.
            Value::Float(x) if x.fract() == 0.0 && x.abs() < 1e16 => write!(f, "{x:.1}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Text(s) => write!(f, "{s}"),
            Value::None => write!(f, "none"),
            Value::Array { shape, .. } => {
                write!(f, "an array of shape ({})", shape.iter().map(usize::to_string).collect::<Vec<_>>().join(", "))
            }
            Value::Metric(m) => write!(f, "{m}"),
        }
    }
}

/// The type of a parameter, as the front ends show and convert it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// A whole number.
    Int,
    /// A number.
    Float,
    /// A switch.
    Bool,
    /// One of a list of words.
    Choice(&'static [&'static str]),
    /// `"auto"` or a whole number.
    IntOrAuto,
    /// `"auto"` or a number.
    FloatOrAuto,
    /// A value of the inner kind, or none (Python's `None`, `none` on the command line).
    Optional(&'static ParamKind),
    /// One of a list of words, or an array ([`Value::Array`]): on the command line a value
    /// that is not one of the words names a file to read (`--init coords.npy`).
    ChoiceOrArray(&'static [&'static str]),
    /// A value of a method's own type (as PCA's `n_components`: a count, a fraction, `"mle"` or
    /// none), with its Python type for the stub; its one-line help says what it takes.
    Other(&'static str),
}

impl ParamKind {
    /// The Python type of the parameter, for the stub.
    pub fn python_type(&self) -> String {
        match self {
            ParamKind::Int => "int".into(),
            ParamKind::Float => "float".into(),
            ParamKind::Bool => "bool".into(),
            ParamKind::Choice(words) => format!("Literal[{}]", words.iter().map(|w| format!("{w:?}")).collect::<Vec<_>>().join(", ")),
            ParamKind::IntOrAuto => "int | Literal[\"auto\"]".into(),
            ParamKind::FloatOrAuto => "float | Literal[\"auto\"]".into(),
            ParamKind::Optional(inner) => format!("{} | None", inner.python_type()),
            ParamKind::ChoiceOrArray(words) => format!("{} | npt.ArrayLike", ParamKind::Choice(words).python_type()),
            ParamKind::Other(python) => python.to_string(),
        }
    }
}

/// The allowed range of a numeric parameter; both ends optional and each open or closed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// Lower end and whether it is allowed.
    pub min: Option<(f64, bool)>,
    /// Upper end and whether it is allowed.
    pub max: Option<(f64, bool)>,
}

impl Range {
    /// Any value.
    pub const ANY: Range = Range { min: None, max: None };

    /// `x ≥ min`.
    pub const fn at_least(min: f64) -> Range {
        Range { min: Some((min, true)), max: None }
    }

    /// `x > min`.
    pub const fn above(min: f64) -> Range {
        Range { min: Some((min, false)), max: None }
    }

    /// `min < x < max`.
    pub const fn open(min: f64, max: f64) -> Range {
        Range { min: Some((min, false)), max: Some((max, false)) }
    }

    /// `min ≤ x ≤ max`.
    pub const fn closed(min: f64, max: f64) -> Range {
        Range { min: Some((min, true)), max: Some((max, true)) }
    }

    /// `min < x ≤ max`.
    pub const fn left_open(min: f64, max: f64) -> Range {
        Range { min: Some((min, false)), max: Some((max, true)) }
    }

    /// Whether `x` lies in the range (NaN and infinities never do).
    pub fn contains(&self, x: f64) -> bool {
        if !x.is_finite() {
            return false;
        }
        let low = match self.min {
            None => !x.is_nan(),
            Some((m, true)) => x >= m,
            Some((m, false)) => x > m,
        };
        let high = match self.max {
            None => !x.is_nan(),
            Some((m, true)) => x <= m,
            Some((m, false)) => x < m,
        };
        low && high
    }

    /// The range in words: "must be > 0 and < 1".
    pub fn describe(&self) -> String {
        let end = |(v, incl): (f64, bool), up: bool| {
            format!(
                "{} {v}",
                if up {
                    if incl { "≤" } else { "<" }
                } else if incl {
                    "≥"
                } else {
                    ">"
                }
            )
        };
        match (self.min, self.max) {
            (None, None) => "must be a finite number".into(),
            (Some((m, true)), None) => format!("must be at least {m}"),
            (Some((m, false)), None) => format!("must be a finite number > {m}"),
            (Some((a, true)), Some((b, true))) => format!("must be in [{a}, {b}]"),
            (None, Some(m)) => format!("must be {}", end(m, true)),
            (Some(a), Some(b)) => format!("must be {} and {}", end(a, false), end(b, true)),
        }
    }

    /// Checks `x`, naming the parameter.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] with the range in words.
    pub fn check(&self, name: &'static str, x: f64) -> Result<()> {
        if self.contains(x) { Ok(()) } else { Err(Error::param(name, x, self.describe())) }
    }
}

/// One parameter of a method, as declared in its [`method_params!`](crate::method_params).
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    /// The name in Python and in the Rust struct (the peer library's name, unless `peer` says
    /// otherwise).
    pub name: &'static str,
    /// The command-line flag, without the leading dashes.
    pub flag: &'static str,
    /// The type.
    pub kind: ParamKind,
    /// The allowed range of a number (of the number in an `IntOrAuto`/`FloatOrAuto`).
    pub range: Range,
    /// The default, as a front end shows it.
    pub default: Value,
    /// One line of help.
    pub help: &'static str,
    /// The peer library's name for it.
    pub peer: &'static str,
}

/// A parameter struct written by [`method_params!`](crate::method_params).
pub trait Params: Default + Clone + fmt::Debug + Send + Sync {
    /// The declarations, in order.
    fn specs() -> Vec<ParamSpec>;

    /// Sets the parameter `name` from a front end's value, checking its type and range.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an unknown name, a value of the wrong type, or one out of
    /// range.
    fn set(&mut self, name: &str, value: &Value) -> Result<()>;

    /// The value of the parameter `name`.
    fn get(&self, name: &str) -> Option<Value>;

    /// Checks every declared range.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first parameter out of range.
    fn check_ranges(&self) -> Result<()>;

    /// Parameters from `(name, value)` pairs over the defaults.
    ///
    /// # Errors
    /// As [`Params::set`] and [`Params::check_ranges`].
    fn from_values<'a>(values: impl IntoIterator<Item = (&'a str, &'a Value)>) -> Result<Self> {
        let mut p = Self::default();
        for (name, value) in values {
            p.set(name, value)?;
        }
        p.check_ranges()?;
        Ok(p)
    }
}

/// `"auto"`, or a value (scikit-learn's `n_components="auto"`, `density="auto"`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Auto<T> {
    /// Chosen by the method.
    Auto,
    /// Given.
    Value(T),
}

/// A Rust type a declared parameter can have.
pub trait ParamType: Sized {
    /// Its kind, as the front ends see it.
    const KIND: ParamKind;
    /// Converts a front end's value (`name` names the parameter in errors).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a value of the wrong type.
    fn from_value(name: &'static str, value: &Value) -> Result<Self>;
    /// The value as a front end shows it.
    fn to_value(&self) -> Value;
    /// The number to check against the declared range, if any.
    fn number(&self) -> Option<f64>;
}

fn wrong(name: &'static str, value: &Value, expected: &str) -> Error {
    Error::param(name, value, format!("must be {expected}"))
}

impl ParamType for usize {
    const KIND: ParamKind = ParamKind::Int;
    fn from_value(name: &'static str, value: &Value) -> Result<Self> {
        match value {
            Value::Int(i) => usize::try_from(*i).map_err(|_| wrong(name, value, "a whole number ≥ 0")),
            Value::Float(f) if f.fract() == 0.0 && *f >= 0.0 && *f < 2f64.powi(53) => Ok(*f as usize),
            _ => Err(wrong(name, value, "a whole number ≥ 0")),
        }
    }
    fn to_value(&self) -> Value {
        // Values past i64 (n_oversamples = usize::MAX) show as text rather than wrapping to -1.
        i64::try_from(*self).map_or_else(|_| Value::Text(self.to_string()), Value::Int)
    }
    fn number(&self) -> Option<f64> {
        Some(*self as f64)
    }
}

impl ParamType for f64 {
    const KIND: ParamKind = ParamKind::Float;
    fn from_value(name: &'static str, value: &Value) -> Result<Self> {
        match value {
            Value::Int(i) => Ok(*i as f64),
            Value::Float(f) => Ok(*f),
            _ => Err(wrong(name, value, "a number")),
        }
    }
    fn to_value(&self) -> Value {
        Value::Float(*self)
    }
    fn number(&self) -> Option<f64> {
        Some(*self)
    }
}

impl ParamType for f32 {
    const KIND: ParamKind = ParamKind::Float;
    fn from_value(name: &'static str, value: &Value) -> Result<Self> {
        let x = f64::from_value(name, value)?;
        // A finite number beyond f32's range is refused, not made infinite.
        if x.is_finite() && x.abs() > f32::MAX as f64 {
            return Err(wrong(name, value, "a number within float32's range (±3.4e38)"));
        }
        Ok(x as f32)
    }
    fn to_value(&self) -> Value {
        // Shown as the decimal it was given as (0.1, not 0.10000000149011612).
        Value::Float(self.to_string().parse().unwrap_or(*self as f64))
    }
    fn number(&self) -> Option<f64> {
        Some(*self as f64)
    }
}

impl ParamType for u64 {
    const KIND: ParamKind = ParamKind::Int;
    fn from_value(name: &'static str, value: &Value) -> Result<Self> {
        usize::from_value(name, value).map(|v| v as u64)
    }
    fn to_value(&self) -> Value {
        // Values past i64 (a seed) show as text rather than wrapping.
        i64::try_from(*self).map_or_else(|_| Value::Text(self.to_string()), Value::Int)
    }
    fn number(&self) -> Option<f64> {
        Some(*self as f64)
    }
}

macro_rules! optional_param {
    ($t:ty, $inner:expr) => {
        impl ParamType for Option<$t> {
            const KIND: ParamKind = ParamKind::Optional(&$inner);
            fn from_value(name: &'static str, value: &Value) -> Result<Self> {
                match value {
                    Value::None => Ok(None),
                    v => <$t>::from_value(name, v).map(Some),
                }
            }
            fn to_value(&self) -> Value {
                self.as_ref().map_or(Value::None, ParamType::to_value)
            }
            fn number(&self) -> Option<f64> {
                self.as_ref().and_then(ParamType::number)
            }
        }
    };
}
optional_param!(usize, ParamKind::Int);
optional_param!(f32, ParamKind::Float);
optional_param!(f64, ParamKind::Float);

impl ParamType for bool {
    const KIND: ParamKind = ParamKind::Bool;
    fn from_value(name: &'static str, value: &Value) -> Result<Self> {
        match value {
            Value::Bool(b) => Ok(*b),
            _ => Err(wrong(name, value, "true or false")),
        }
    }
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
    fn number(&self) -> Option<f64> {
        None
    }
}

macro_rules! auto_param {
    ($t:ty, $kind:expr, $what:literal) => {
        impl ParamType for Auto<$t> {
            const KIND: ParamKind = $kind;
            fn from_value(name: &'static str, value: &Value) -> Result<Self> {
                match value {
                    Value::Text(t) if t == "auto" => Ok(Auto::Auto),
                    Value::Text(_) | Value::None | Value::Bool(_) => Err(wrong(name, value, concat!("\"auto\" or ", $what))),
                    v => <$t>::from_value(name, v).map(Auto::Value).map_err(|_| wrong(name, value, concat!("\"auto\" or ", $what))),
                }
            }
            fn to_value(&self) -> Value {
                match self {
                    Auto::Auto => Value::Text("auto".into()),
                    Auto::Value(v) => v.to_value(),
                }
            }
            fn number(&self) -> Option<f64> {
                match self {
                    Auto::Auto => None,
                    Auto::Value(v) => v.number(),
                }
            }
        }
    };
}
auto_param!(usize, ParamKind::IntOrAuto, "a whole number ≥ 0");
auto_param!(f64, ParamKind::FloatOrAuto, "a number");

/// Makes a fieldless enum a [`ParamType`] of kind [`ParamKind::Choice`], each variant with its
/// word. Words are matched ignoring case, with `-` read as `_` (`covariance-eigh` on the command
/// line is `covariance_eigh`).
///
/// ```
/// use unfold_learn::method::params::{ParamType, Value};
/// #[derive(Debug, PartialEq)]
/// enum Side { Left, Right }
/// unfold_learn::choice_param!(Side { Left = "left", Right = "right" });
/// assert_eq!(Side::from_value("side", &Value::Text("Right".into()))?, Side::Right);
/// let e = Side::from_value("side", &Value::Text("up".into())).unwrap_err();
/// assert_eq!(e.to_string(), "invalid value for `side`: up (must be one of left, right)");
/// # Ok::<(), unfold_learn::Error>(())
/// ```
#[macro_export]
macro_rules! choice_param {
    ($ty:ident { $($variant:ident = $word:literal),+ $(,)? }) => {
        impl $crate::method::params::ParamType for $ty {
            const KIND: $crate::method::params::ParamKind = $crate::method::params::ParamKind::Choice(&[$($word),+]);
            fn from_value(name: &'static str, value: &$crate::method::params::Value) -> $crate::Result<Self> {
                if let $crate::method::params::Value::Text(t) = value {
                    let t = t.to_ascii_lowercase().replace('-', "_");
                    $( if t == $word { return Ok($ty::$variant); } )+
                }
                Err($crate::Error::param(name, value, concat!("must be one of ", $crate::choice_param!(@join $($word),+))))
            }
            fn to_value(&self) -> $crate::method::params::Value {
                $crate::method::params::Value::Text(match self { $($ty::$variant => $word,)+ }.to_string())
            }
            fn number(&self) -> Option<f64> {
                None
            }
        }
    };
    (@join $first:literal $(, $rest:literal)*) => { concat!($first $(, ", ", $rest)*) };
}

/// Declares a method's parameters once (see the [module](crate::method::params) documentation).
///
/// Each field takes its doc comment as its one line of help, its type (any [`ParamType`]), its
/// default, and optionally `flag = "…"` (the command-line flag, when it differs from the name
/// with `-` for `_`, as `--dims` for `n_components`), `range = …` (a [`Range`]) and
/// `peer = "…"` (the peer library's name, when it differs).
///
/// ```
/// use unfold_learn::method::params::{Params, Range, Value};
/// unfold_learn::method_params! {
///     /// Example parameters.
///     pub struct ExampleParams {
///         /// Output dimensions.
///         n_components: usize = 2, flag = "dims", range = Range::at_least(1.0);
///         /// A rate in (0, 1).
///         eps: f64 = 0.1, range = Range::open(0.0, 1.0);
///     }
/// }
/// let p = ExampleParams::from_values([("eps", &Value::Float(0.5))])?;
/// assert_eq!((p.n_components, p.eps), (2, 0.5));
/// let e = ExampleParams::from_values([("eps", &Value::Float(1.5))]).unwrap_err();
/// assert_eq!(e.to_string(), "invalid value for `eps`: 1.5 (must be > 0 and < 1)");
/// assert_eq!(ExampleParams::specs()[0].flag, "dims");
/// # Ok::<(), unfold_learn::Error>(())
/// ```
#[macro_export]
macro_rules! method_params {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[doc = $doc:literal])+
                $field:ident : $ty:ty = $default:expr
                $(, flag = $flag:literal)?
                $(, range = $range:expr)?
                $(, peer = $peer:literal)?
                ;
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            $(
                $(#[doc = $doc])+
                pub $field: $ty,
            )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name { $($field: $default,)* }
            }
        }

        impl $crate::method::params::Params for $name {
            fn specs() -> Vec<$crate::method::params::ParamSpec> {
                let defaults = <$name as Default>::default();
                vec![$(
                    $crate::method::params::ParamSpec {
                        name: stringify!($field),
                        flag: $crate::method_params!(@or $($flag)?, stringify!($field)),
                        kind: <$ty as $crate::method::params::ParamType>::KIND,
                        range: $crate::method_params!(@or $($range)?, $crate::method::params::Range::ANY),
                        default: $crate::method::params::ParamType::to_value(&defaults.$field),
                        help: concat!($($doc),+).trim_ascii(),
                        peer: $crate::method_params!(@or $($peer)?, stringify!($field)),
                    },
                )*]
            }

            fn set(&mut self, name: &str, value: &$crate::method::params::Value) -> $crate::Result<()> {
                match name {
                    $(
                        stringify!($field) => {
                            let v = <$ty as $crate::method::params::ParamType>::from_value(stringify!($field), value)?;
                            $( if let Some(x) = $crate::method::params::ParamType::number(&v) {
                                ($range).check(stringify!($field), x)?;
                            } )?
                            self.$field = v;
                            Ok(())
                        }
                    )*
                    _ => Err($crate::Error::InvalidData(format!(
                        "unknown parameter `{name}`; the parameters are {}",
                        [$(concat!("`", stringify!($field), "`")),*].join(", ")
                    ))),
                }
            }

            fn get(&self, name: &str) -> Option<$crate::method::params::Value> {
                match name {
                    $( stringify!($field) => Some($crate::method::params::ParamType::to_value(&self.$field)), )*
                    _ => None,
                }
            }

            fn check_ranges(&self) -> $crate::Result<()> {
                $(
                    $( if let Some(x) = $crate::method::params::ParamType::number(&self.$field) {
                        ($range).check(stringify!($field), x)?;
                    } )?
                )*
                Ok(())
            }
        }
    };
    (@or , $fallback:expr) => { $fallback };
    (@or $given:expr, $fallback:expr) => { $given };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::method_params! {
        /// Parameters of the tests.
        pub struct TestParams {
            /// Output dimensions, "auto" from a bound.
            n_components: Auto<usize> = Auto::Auto, flag = "dims", range = Range::at_least(1.0);
            /// A tolerance.
            eps: f64 = 0.1, range = Range::open(0.0, 1.0);
            /// A switch.
            dense_output: bool = false, peer = "dense_output";
        }
    }

    #[test]
    fn declaration_gives_specs_defaults_and_checks() {
        let specs = TestParams::specs();
        assert_eq!(specs.iter().map(|s| s.name).collect::<Vec<_>>(), ["n_components", "eps", "dense_output"]);
        assert_eq!(specs[0].flag, "dims");
        assert_eq!(specs[1].flag, "eps");
        assert_eq!(specs[0].default, Value::Text("auto".into()));
        assert_eq!(specs[1].default, Value::Float(0.1));
        assert_eq!(specs[0].kind, ParamKind::IntOrAuto);
        assert_eq!(specs[1].help, "A tolerance.");
        let mut p = TestParams::default();
        p.set("n_components", &Value::Int(5)).unwrap();
        assert_eq!(p.n_components, Auto::Value(5));
        p.set("n_components", &Value::parse("auto")).unwrap();
        assert_eq!(p.n_components, Auto::Auto);
        let e = p.set("n_components", &Value::Int(0)).unwrap_err().to_string();
        assert_eq!(e, "invalid value for `n_components`: 0 (must be at least 1)");
        let e = p.set("eps", &Value::Float(1.0)).unwrap_err().to_string();
        assert_eq!(e, "invalid value for `eps`: 1 (must be > 0 and < 1)");
        let e = p.set("eps", &Value::Text("big".into())).unwrap_err().to_string();
        assert_eq!(e, "invalid value for `eps`: big (must be a number)");
        let e = p.set("n_components", &Value::Float(2.5)).unwrap_err().to_string();
        assert!(e.contains("\"auto\" or a whole number"), "{e}");
        let e = p.set("epsilon", &Value::Float(0.5)).unwrap_err().to_string();
        assert!(e.contains("unknown parameter `epsilon`") && e.contains("`eps`"), "{e}");
        assert_eq!(p.get("dense_output"), Some(Value::Bool(false)));
        assert_eq!(usize::MAX.to_value(), Value::Text("18446744073709551615".into()));
        assert_eq!(7usize.to_value(), Value::Int(7));
        // A struct edited by hand is checked too.
        let bad = TestParams { eps: f64::NAN, ..Default::default() };
        assert!(bad.check_ranges().is_err());
    }

    #[test]
    fn text_values_parse_as_the_command_line_gives_them() {
        assert_eq!(Value::parse("3"), Value::Int(3));
        assert_eq!(Value::parse("0.5"), Value::Float(0.5));
        assert_eq!(Value::parse("1e-3"), Value::Float(1e-3));
        assert_eq!(Value::parse("true"), Value::Bool(true));
        assert_eq!(Value::parse("auto"), Value::Text("auto".into()));
        assert_eq!(Value::parse("None"), Value::None);
    }

    #[test]
    fn ranges_in_words() {
        assert_eq!(Range::at_least(2.0).describe(), "must be at least 2");
        assert_eq!(Range::above(0.0).describe(), "must be a finite number > 0");
        assert_eq!(Range::closed(0.0, 1.0).describe(), "must be in [0, 1]");
        assert_eq!(Range::left_open(0.0, 1.0).describe(), "must be > 0 and ≤ 1");
        assert!(!Range::ANY.contains(f64::NAN));
        assert!(Range::closed(0.0, 1.0).contains(1.0));
    }
}
