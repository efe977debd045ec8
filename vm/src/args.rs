//! Parsing and printing typed values for the command line.
use crate::error::Error;
use crate::instr::ValType;

/// Parse one value of type `ty`: decimal (possibly negative) or `0x` hex (possibly `-0x`).
/// The result is the value's bit pattern, zero-extended (an i32 is in `0..2^32`).
pub fn parse_value(s: &str, ty: ValType) -> Result<u64, String> {
    let t = s.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let mag: u128 = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        u128::from_str_radix(&h.replace('_', ""), 16)
    } else {
        body.replace('_', "").parse::<u128>()
    }
    .map_err(|_| format!("`{s}` is not an integer"))?;
    let bits = match ty {
        ValType::I32 => 32,
        ValType::I64 => 64,
    };
    let max_unsigned = (1u128 << bits) - 1;
    let min_signed = 1u128 << (bits - 1);
    if neg {
        if mag > min_signed {
            return Err(format!("`{s}` does not fit {ty}"));
        }
        Ok(((1u128 << bits) - mag) as u64 & (max_unsigned as u64))
    } else {
        if mag > max_unsigned {
            return Err(format!("`{s}` does not fit {ty}"));
        }
        Ok(mag as u64)
    }
}

/// Parse a comma-separated argument list against parameter types.
pub fn parse_args(func: &str, list: &[String], params: &[ValType]) -> Result<Vec<u64>, Error> {
    if list.len() != params.len() {
        return Err(Error::BadArguments {
            func: func.into(),
            reason: format!(
                "expected {} argument(s) ({}), got {}",
                params.len(),
                params.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", "),
                list.len()
            ),
        });
    }
    list.iter()
        .zip(params)
        .enumerate()
        .map(|(i, (s, t))| {
            parse_value(s, *t)
                .map_err(|r| Error::BadArguments { func: func.into(), reason: format!("argument {i}: {r}") })
        })
        .collect()
}

/// Print a value of type `ty` as a signed decimal.
pub fn format_value(v: u64, ty: ValType) -> String {
    match ty {
        ValType::I32 => (v as u32 as i32).to_string(),
        ValType::I64 => (v as i64).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn parses_values() {
        assert_eq!(parse_value("10", ValType::I32), Ok(10));
        assert_eq!(parse_value("-1", ValType::I32), Ok(0xffff_ffff));
        assert_eq!(parse_value("-1", ValType::I64), Ok(u64::MAX));
        assert_eq!(parse_value("0xff", ValType::I64), Ok(255));
        assert_eq!(parse_value("-2147483648", ValType::I32), Ok(0x8000_0000));
        assert!(parse_value("-2147483649", ValType::I32).is_err());
        assert!(parse_value("4294967296", ValType::I32).is_err());
        assert_eq!(parse_value("4294967295", ValType::I32), Ok(u32::MAX as u64));
        assert!(parse_value("abc", ValType::I64).is_err());
        assert!(parse_value("", ValType::I64).is_err());
    }

    #[test]
    fn value_edge_cases() {
        use ValType::*;
        assert_eq!(parse_value("+5", I32), Ok(5));
        assert_eq!(parse_value(" 7 ", I32), Ok(7));
        assert_eq!(parse_value("-0", I32), Ok(0));
        assert_eq!(parse_value("-0", I64), Ok(0));
        assert_eq!(parse_value("1_000", I64), Ok(1000));
        assert_eq!(parse_value("0XfF", I32), Ok(255));
        assert_eq!(parse_value("0xffffffff", I32), Ok(u32::MAX as u64));
        assert_eq!(parse_value("-0x80000000", I32), Ok(0x8000_0000));
        assert!(parse_value("-0x80000001", I32).is_err());
        assert!(parse_value("0x100000000", I32).is_err());
        assert_eq!(parse_value("-9223372036854775808", I64), Ok(1 << 63));
        assert!(parse_value("-9223372036854775809", I64).is_err());
        assert_eq!(parse_value("18446744073709551615", I64), Ok(u64::MAX));
        assert!(parse_value("18446744073709551616", I64).is_err());
        assert!(parse_value("999999999999999999999999999999999999999999999", I64).is_err());
        for bad in ["0x", "-", "+", "--1", "+-1", "- 1", "0x-1", "_", "1e3", "1.0", "0b101", "0x1g", "١"] {
            assert!(parse_value(bad, I64).is_err(), "{bad}");
        }
        let e = parse_value("4294967296", I32).unwrap_err();
        assert!(e.contains("does not fit i32"), "{e}");
    }

    #[test]
    fn args_and_formatting() {
        use ValType::*;
        let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(parse_args("f", &list(&["1", "-1"]), &[I32, I64]).ok(), Some(vec![1, u64::MAX]));
        assert_eq!(parse_args("f", &[], &[]).ok(), Some(vec![]));
        let e = parse_args("f", &list(&["1"]), &[I32, I64]).unwrap_err();
        assert!(matches!(&e, Error::BadArguments { func, .. } if func == "f"), "{e}");
        assert!(e.to_string().contains("expected 2 argument(s) (i32, i64), got 1"), "{e}");
        let e = parse_args("f", &list(&["1", "x"]), &[I32, I64]).unwrap_err();
        assert!(e.to_string().contains("argument 1"), "{e}");
        assert_eq!(format_value(0xffff_ffff, I32), "-1");
        assert_eq!(format_value(0x8000_0000, I32), "-2147483648");
        assert_eq!(format_value(u64::MAX, I64), "-1");
        assert_eq!(format_value(42, I64), "42");
        for v in ["0", "-1", "2147483647", "-2147483648"] {
            assert_eq!(format_value(parse_value(v, I32).unwrap_or(1), I32), v);
        }
    }
}
