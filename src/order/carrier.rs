//! Carriers recognised from the free-text name a merchant types, and the tracking-number shapes
//! each one issues. A number that cannot be that carrier's is refused before the status change,
//! which can be sent only once.
//!
//! Shapes are written in a tiny pattern language rather than with a regex crate (whose tables would
//! weigh more than the whole rule): `#` a digit, `@` a letter, `*` a letter or digit, any other
//! character itself; `{n}` or `{n,m}` repeats the token before it. Numbers are compared upper-cased.
//!
//! Sources: the carriers' own tracking pages and label specifications, UPU S10 for the 13-character
//! international numbers (`RR123456789FR`). Shapes marked *guess* are not published anywhere we
//! could read; they stay generous on purpose: refusing a real number blocks a parcel that has
//! already left, accepting a wrong one only costs what the check would have saved.

/// A carrier whose numbers have a known shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Carrier {
    /// The carrier's usual name.
    pub name: &'static str,
    /// Names it is typed under, as lowercase word sequences (`la poste`, `dhl express`).
    aliases: &'static [&'static str],
    /// Shapes its tracking numbers take.
    shapes: &'static [&'static str],
    /// The expected shape, in words, for the refusal message.
    pub expected: &'static str,
}

/// UPU S10: two letters, eight digits and a check digit, the ISO country of the issuing post.
const S10: &str = "@@#{9}@@";

/// The carriers we know the numbers of. Order matters only for [`Carrier::name`] lookups.
pub const CARRIERS: &[Carrier] = &[
    Carrier {
        name: "Colissimo",
        aliases: &["colissimo", "socolissimo", "la poste", "laposte", "coliposte", "lettre suivie"],
        // 13 characters, "1 letter and 12 digits (e.g. 8D00432154798)" (published, colissimo.fr
        // tracking FAQ; 6A…, 8R…, 1K… alike) and S10 for international parcels. The 11-character
        // form and the 14-15-character partner numbers of parcels from abroad: a guess.
        shapes: &[S10, "*{2}#{11}", "*{2}#{9}", "*{14,15}"],
        expected: "a Colissimo/La Poste tracking number is 13 characters: 2 letters or digits then 11 digits \
                   (6A12345678901), or 2 letters, 9 digits and 2 letters (CB123456789FR)",
    },
    Carrier {
        name: "Chronopost",
        aliases: &["chronopost", "chrono post", "chrono relais", "chronorelais"],
        // S10-like XY123456789FR (published), 13 or 15 characters (French tracking guides). 2 + 11
        // digits and the layout of the 15-character form: a guess.
        shapes: &[S10, "*{2}#{11}", "*{15}"],
        expected: "a Chronopost tracking number is 13 characters: 2 letters, 9 digits and 2 letters (XY123456789FR), or 15",
    },
    Carrier {
        name: "DHL Express",
        aliases: &["dhl express", "dhlexpress"],
        // 10-digit waybill and JD + 18-digit piece id (published); 11 digits and shorter JD ids: a guess.
        shapes: &["#{10,11}", "JD#{10,18}", "JJD#{10,22}"],
        expected: "a DHL Express tracking number is a 10-digit waybill number, or JD followed by digits",
    },
    Carrier {
        name: "DHL",
        aliases: &["dhl"],
        // DHL alone may be Paket (12 or 20 digits, JJD…: published), Express (10 digits), eCommerce
        // (GM…, up to 34 digits: published for the US), Parcel Benelux (JVGL…, 3S…: a guess) or a
        // postal S10 number. Digit-only lengths 10 to 39 stay open.
        shapes: &["#{10,39}", "JJD*{10,24}", "JD#{10,18}", "JVGL*{8,20}", "GM#{10,22}", "3S*{9,13}", S10],
        expected: "a DHL tracking number is 10 to 39 digits, JJD or JD followed by digits, GM followed by digits, \
                   or 13 characters like RR123456789DE",
    },
    Carrier {
        name: "UPS",
        aliases: &["ups", "united parcel service"],
        // 1Z + 16 (published). T + 10 (waybill) published, other letters + 10 (InfoNotice K…, H…),
        // 9 digits (Freight PRO) and 22/26 digits (Mail Innovations, SurePost): a guess.
        shapes: &["1Z*{16}", "@#{10}", "#{9}", "#{22}", "#{26}"],
        expected: "a UPS tracking number is 1Z followed by 16 letters or digits",
    },
    Carrier {
        name: "FedEx",
        aliases: &["fedex", "fed ex", "federal express"],
        // 12, 15, 20, 22 digits (published); 14, the 34-digit barcode and door tags (DT + 12): a guess.
        shapes: &["#{12}", "#{14,15}", "#{20}", "#{22}", "#{34}", "DT#{12}"],
        expected: "a FedEx tracking number is 12, 15, 20 or 22 digits",
    },
    Carrier {
        name: "GLS",
        aliases: &["gls"],
        // 11 or 12 digits and the 8-character track id (published); 10, 13, 14 digits: a guess.
        shapes: &["#{10,14}", "*{8}"],
        expected: "a GLS tracking number is 11 or 12 digits, or a track id of 8 letters or digits",
    },
    Carrier {
        name: "DPD",
        aliases: &["dpd", "dpd predict", "exapaq"],
        // 14-digit parcel number, optionally with its check character (published); 8 to 13 digits
        // (DPD France shipper numbers such as the official module's own `123456789`) and the 28-digit
        // barcode: a guess.
        shapes: &["#{8,15}", "#{14}@", "#{28}"],
        expected: "a DPD tracking number is digits only: 14 for a parcel number (8 to 15 accepted), \
                   optionally followed by a check letter",
    },
    Carrier {
        name: "Mondial Relay",
        aliases: &["mondial relay", "mondialrelay"],
        // 8 or 12 digits (published); 10: a guess.
        shapes: &["#{8}", "#{10}", "#{12}"],
        expected: "a Mondial Relay tracking number is 8 or 12 digits",
    },
    Carrier {
        name: "Relais Colis",
        aliases: &["relais colis", "relaiscolis"],
        // A guess: no published format found; letters and digits, 10 to 20 long.
        shapes: &["*{10,20}"],
        expected: "a Relais Colis tracking number is 10 to 20 letters or digits",
    },
    Carrier {
        name: "PostNL",
        aliases: &["postnl", "post nl"],
        // 3S + customer code + serial, 13 to 15 long (published; up to 20: a guess); S10 for
        // international mail.
        shapes: &["3S*{9,18}", S10],
        expected: "a PostNL tracking number starts with 3S (3SABCD1234567), or is 13 characters like RR123456789NL",
    },
    Carrier {
        name: "bpost",
        aliases: &["bpost", "b post"],
        // 24 digits (published); other digit lengths 12 to 26: a guess; S10 for international mail.
        shapes: &["#{12,26}", S10],
        expected: "a bpost tracking number is 24 digits, or 13 characters like CD123456789BE",
    },
    Carrier {
        name: "Royal Mail",
        aliases: &["royal mail", "royalmail", "parcelforce"],
        // S10 ending GB (published), Parcelforce 2 letters + 7 digits (published); 16 characters
        // (Tracked 24/48 barcodes): a guess.
        shapes: &[S10, "@@#{7}", "*{16}"],
        expected: "a Royal Mail tracking number is 2 letters, 9 digits and GB (AB123456789GB)",
    },
    Carrier {
        name: "Correos",
        aliases: &["correos"],
        // P + letter + 21 letters or digits (23 characters, published) and S10; any 13 to 23
        // letters and digits: a guess (Correos issues several label series).
        shapes: &["P@*{21}", S10, "*{13,23}"],
        expected: "a Correos tracking number is 23 characters starting with P (PQ4F6P0703673180108010B), \
                   or 13 characters like RR123456789ES",
    },
    Carrier {
        name: "Poste Italiane",
        aliases: &["poste italiane", "posteitaliane"],
        // 12 digits (raccomandata) and S10 (published); any 12 or 13 letters and digits (Poste
        // Delivery Business, SDA): a guess.
        shapes: &["#{12}", S10, "*{12,13}"],
        expected: "a Poste Italiane tracking number is 12 or 13 letters and digits (123456789012, RR123456789IT)",
    },
    Carrier {
        name: "Hermes",
        aliases: &["hermes", "myhermes", "evri"],
        // Hermes Germany 14 digits and Evri 16 characters (published); H-prefixed 13 to 21: a guess.
        shapes: &["#{14}", "*{16}", "H*{12,20}"],
        expected: "a Hermes/Evri tracking number is 14 digits, or 16 letters and digits",
    },
    Carrier {
        name: "Amazon Logistics",
        aliases: &["amazon logistics", "amazon logistique", "amzl"],
        // TBA + 12 digits (published; TBC and TBM in Canada and Mexico); 9 to 13 digits: a guess.
        shapes: &["TB@#{9,13}"],
        expected: "an Amazon Logistics tracking number is TBA followed by 12 digits",
    },
];

/// Lowercase ASCII words of a carrier name: accents folded, anything else a separator.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in name.chars() {
        let folded = fold(c);
        if folded.is_ascii_alphanumeric() {
            word.push(folded.to_ascii_lowercase());
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The base letter of a Latin letter with a diacritic (the ones carrier names use). Written out
/// rather than through Unicode case tables, which would weigh more in the Wasm than this whole file.
fn fold(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'a',
        'ç' | 'Ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ñ' | 'Ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
        'ý' | 'ÿ' | 'Ý' => 'y',
        _ => c,
    }
}

/// The carrier a typed name means (`Colissimo expert`, `La Poste`, `UPS Standard`, `DHL Express`),
/// or `None` when the name names no known carrier, or two different ones (`GLS Mondial Relay`):
/// then only the generic rules apply.
pub fn recognise(name: &str) -> Option<&'static Carrier> {
    let typed = words(name);
    let mut found: Option<&'static Carrier> = None;
    for carrier in CARRIERS {
        let hit = carrier.aliases.iter().any(|alias| {
            let alias: Vec<&str> = alias.split(' ').collect();
            typed.windows(alias.len()).any(|w| w.iter().zip(&alias).all(|(a, b)| a == b))
        });
        if !hit {
            continue;
        }
        match found {
            None => found = Some(carrier),
            // "DHL Express" also contains "DHL": the more specific entry, listed first, wins.
            Some(f) if f.name == "DHL Express" && carrier.name == "DHL" => {}
            Some(_) => return None,
        }
    }
    found
}

/// Whether `number` (already upper-cased) has one of `carrier`'s shapes. Several numbers joined
/// with commas or semicolons (one per parcel, as some shop plugins send them) must each fit.
pub fn fits(carrier: &Carrier, number: &str) -> bool {
    let upper = number.to_ascii_uppercase();
    upper.split([',', ';']).all(|part| carrier.shapes.iter().any(|shape| matches_shape(shape, part)))
}

#[derive(Clone, Copy)]
enum Class {
    Digit,
    Letter,
    Alnum,
    Literal(char),
}

impl Class {
    fn accepts(self, c: char) -> bool {
        match self {
            Class::Digit => c.is_ascii_digit(),
            Class::Letter => c.is_ascii_uppercase(),
            Class::Alnum => c.is_ascii_digit() || c.is_ascii_uppercase(),
            Class::Literal(l) => c == l,
        }
    }
}

/// Parses a shape into (class, min, max) tokens. Shapes are constants of this file.
fn tokens(shape: &str) -> Vec<(Class, usize, usize)> {
    let mut out: Vec<(Class, usize, usize)> = Vec::new();
    let mut chars = shape.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '{' {
            let spec: String = chars.by_ref().take_while(|&c| c != '}').collect();
            let (lo, hi) = match spec.split_once(',') {
                Some((lo, hi)) => (lo.parse().unwrap_or(1), hi.parse().unwrap_or(1)),
                None => {
                    let n = spec.parse().unwrap_or(1);
                    (n, n)
                }
            };
            if let Some(last) = out.last_mut() {
                last.1 = lo;
                last.2 = hi;
            }
            continue;
        }
        let class = match c {
            '#' => Class::Digit,
            '@' => Class::Letter,
            '*' => Class::Alnum,
            other => Class::Literal(other),
        };
        out.push((class, 1, 1));
    }
    out
}

fn matches_shape(shape: &str, number: &str) -> bool {
    let chars: Vec<char> = number.chars().collect();
    matches_from(&tokens(shape), &chars)
}

/// Backtracking match; shapes have a handful of tokens, numbers a few dozen characters.
fn matches_from(tokens: &[(Class, usize, usize)], rest: &[char]) -> bool {
    let Some(&(class, lo, hi)) = tokens.first() else {
        return rest.is_empty();
    };
    let run = rest.iter().take(hi).take_while(|&&c| class.accepts(c)).count();
    (lo..=run).rev().any(|n| matches_from(&tokens[1..], &rest[n..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_match_exactly() {
        assert!(matches_shape("1Z*{16}", "1Z999AA10123456784"));
        assert!(!matches_shape("1Z*{16}", "1Z999AA1012345678"));
        assert!(matches_shape(S10, "CB123456789FR"));
        assert!(!matches_shape(S10, "CB12345678FR"));
        assert!(matches_shape("#{8,15}", "123456789"));
        assert!(!matches_shape("#{8,15}", "1234567"));
        assert!(matches_shape("*{2}#{11}", "6A12345678901"));
    }
}
