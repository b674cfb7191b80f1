use super::*;

/// splitmix64: a tiny deterministic generator (the core has no randomness source).
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(super) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

pub(super) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A student seed from any text (a user name, an e-mail address): the REPL can use it when
/// it has no random source of its own to seed [`Progress::new`].
pub fn seed_from_text(text: &str) -> u64 {
    Rng(fnv1a(text.as_bytes())).next()
}

// =======================================================================================
// Templates

pub(super) struct TplError {
    pub(super) offset: usize,
    pub(super) message: String,
}

pub(super) fn render(text: &str, vars: &[(String, VarValue)]) -> Result<String, TplError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut base = 0;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(j) = after.find("}}") else {
            return Err(TplError {
                offset: base + i,
                message: "`{{` is never closed by `}}`".into(),
            });
        };
        let inner = after[..j].trim();
        let (expr, fmt) = match inner.rsplit_once(':') {
            Some((e, f)) => (e.trim(), Some(f.trim())),
            None => (inner, None),
        };
        let v = eval_expr(expr, vars).map_err(|m| TplError {
            offset: base + i,
            message: format!("in `{{{{{inner}}}}}`: {m}"),
        })?;
        match (fmt, v) {
            (None, v) => out.push_str(&v.to_string()),
            (Some("hex"), VarValue::Int(n)) => out.push_str(&format!("0x{n:02x}")),
            (Some(f), _) => {
                return Err(TplError {
                    offset: base + i,
                    message: format!(
                        "unknown format `:{f}` (the only format is `:hex`, for numbers)"
                    ),
                })
            }
        }
        let consumed = i + 2 + j + 2;
        base += consumed;
        rest = &rest[consumed..];
    }
    out.push_str(rest);
    Ok(out)
}

pub(super) fn eval_expr(e: &str, vars: &[(String, VarValue)]) -> Result<VarValue, String> {
    let toks = tokenize(e)?;
    if toks.is_empty() {
        return Err("empty placeholder".into());
    }
    if let [Tok::Name(n)] = toks.as_slice() {
        return lookup(n, vars);
    }
    let mut p = ExprParser { toks, pos: 0, vars };
    let v = p.sum()?;
    if p.pos != p.toks.len() {
        return Err("unexpected text after the expression".into());
    }
    Ok(VarValue::Int(v))
}

pub(super) fn lookup(n: &str, vars: &[(String, VarValue)]) -> Result<VarValue, String> {
    vars.iter()
        .find(|(k, _)| k == n)
        .map(|(_, v)| v.clone())
        .ok_or_else(|| {
            format!(
                "no variable `{n}`{}",
                if vars.is_empty() {
                    " (this exercise has no [exercise.vars])".to_string()
                } else {
                    format!(
                        "; variables: {}",
                        vars.iter()
                            .map(|(k, _)| k.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            )
        })
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    Num(i64),
    Name(String),
    Op(char),
}

pub(super) fn tokenize(e: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let cs: Vec<char> = e.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < cs.len() && (cs[i].is_ascii_alphanumeric() || cs[i] == '_') {
                i += 1;
            }
            let s: String = cs[start..i].iter().filter(|&&c| c != '_').collect();
            let n = match s.strip_prefix("0x") {
                Some(h) => i64::from_str_radix(h, 16),
                None => s.parse::<i64>(),
            }
            .map_err(|_| format!("bad number `{s}`"))?;
            out.push(Tok::Num(n));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < cs.len() && (cs[i].is_ascii_alphanumeric() || cs[i] == '_') {
                i += 1;
            }
            out.push(Tok::Name(cs[start..i].iter().collect()));
        } else if "+-*/%()".contains(c) {
            out.push(Tok::Op(c));
            i += 1;
        } else {
            return Err(format!("unexpected `{c}`"));
        }
    }
    Ok(out)
}

pub(super) struct ExprParser<'a> {
    pub(super) toks: Vec<Tok>,
    pub(super) pos: usize,
    vars: &'a [(String, VarValue)],
}

impl ExprParser<'_> {
    pub(super) fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    pub(super) fn sum(&mut self) -> Result<i64, String> {
        let mut v = self.product()?;
        while let Some(Tok::Op(c @ ('+' | '-'))) = self.peek().cloned() {
            self.pos += 1;
            let r = self.product()?;
            v = if c == '+' {
                v.checked_add(r)
            } else {
                v.checked_sub(r)
            }
            .ok_or("overflow")?;
        }
        Ok(v)
    }

    pub(super) fn product(&mut self) -> Result<i64, String> {
        let mut v = self.atom()?;
        while let Some(Tok::Op(c @ ('*' | '/' | '%'))) = self.peek().cloned() {
            self.pos += 1;
            let r = self.atom()?;
            v = match c {
                '*' => v.checked_mul(r),
                '/' => v.checked_div(r),
                _ => v.checked_rem(r),
            }
            .ok_or("division by zero or overflow")?;
        }
        Ok(v)
    }

    pub(super) fn atom(&mut self) -> Result<i64, String> {
        match self.peek().cloned() {
            Some(Tok::Num(n)) => {
                self.pos += 1;
                Ok(n)
            }
            Some(Tok::Name(n)) => {
                self.pos += 1;
                match lookup(&n, self.vars)? {
                    VarValue::Int(i) => Ok(i),
                    VarValue::Str(s) => Err(format!("`{n}` is the name `{s}`, not a number")),
                }
            }
            Some(Tok::Op('-')) => {
                self.pos += 1;
                Ok(-self.atom()?)
            }
            Some(Tok::Op('(')) => {
                self.pos += 1;
                let v = self.sum()?;
                if self.peek() != Some(&Tok::Op(')')) {
                    return Err("missing `)`".into());
                }
                self.pos += 1;
                Ok(v)
            }
            _ => Err("expected a number or a variable".into()),
        }
    }
}

// =======================================================================================
// Running scripts
