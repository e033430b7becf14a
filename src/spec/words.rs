//! A workload's `run = "…"` line split into words with the shell's quoting rules (no shell
//! runs: `command -- sh -c '…'` asks for one explicitly). Single quotes keep everything
//! literally; double quotes keep spaces and take `\"`, `\\`, `\$` and `` \` `` as escapes; a
//! backslash outside quotes makes the next character literal. Pure.

/// Splits `text` into words; an unclosed quote or a trailing backslash is an error.
pub fn split(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => cur.push(x),
                        None => return Err("unclosed ' quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('"' | '\\' | '$' | '`')) => cur.push(x),
                            Some(x) => {
                                cur.push('\\');
                                cur.push(x);
                            }
                            None => return Err("unclosed \" quote".into()),
                        },
                        Some(x) => cur.push(x),
                        None => return Err("unclosed \" quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                cur.push(chars.next().ok_or("a trailing backslash escapes nothing")?);
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn quotes_and_escapes_follow_the_shell() {
        assert_eq!(
            split(r#"command -- sh -c 'echo "a  b" $x'"#).unwrap(),
            ["command", "--", "sh", "-c", r#"echo "a  b" $x"#]
        );
        assert_eq!(
            split(r#"x "a \"q\" \$y \n" b\ c ''"#).unwrap(),
            ["x", r#"a "q" $y \n"#, "b c", ""]
        );
        assert_eq!(
            split("  anon   --bytes 1M ").unwrap(),
            ["anon", "--bytes", "1M"]
        );
    }

    #[test]
    fn unclosed_quotes_are_errors() {
        for bad in ["a 'b", "a \"b", "a \\"] {
            assert!(split(bad).is_err(), "{bad}");
        }
    }
}
