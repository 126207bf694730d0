//! Every order file of the PrestaShop module's own test dataset (`../shared/fixtures/external/`, see its
//! README): each parses, the waiting ones map, and relay points, B2B VAT ids, currencies and fulfilment
//! come out as that module's tests (`202/tests/OrderImport/*Test.php` of shoppingflux/module-prestashop
//! @ 853f2621) expect for the same file. Where those tests say nothing about a file, the mapping outcome
//! is still stated. A missing folder fails: the files are part of the test, not an optional extra.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::float_cmp)]

use shoppingfeed_orders::mapping::{MappingOptions, OrderDraft, is_fulfilled_by_channel, to_draft, vat_id};
use shoppingfeed_orders::order::{Order, OrderStatus, parse_order};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("shared").join("fixtures").join("external")
}

fn read(name: &str) -> String {
    let path = dir().join(format!("prestashop_{name}.json"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn order(name: &str) -> Order {
    parse_order(&read(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn draft(name: &str) -> OrderDraft {
    to_draft(&order(name), &MappingOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// What one file must give. `relay` is (id, source, product code).
struct Expect {
    file: &'static str,
    status: OrderStatus,
    fulfilled: bool,
    relay: Option<(&'static str, &'static str, Option<&'static str>)>,
    vat: Option<&'static str>,
    business: bool,
    currency: &'static str,
    is_test: bool,
    /// (reference, total, shipping) as the module's import tests check them on the created order.
    amounts: Option<(&'static str, f64, f64)>,
}

fn plain(file: &'static str, is_test: bool) -> Expect {
    Expect {
        file,
        status: OrderStatus::WaitingShipment,
        fulfilled: false,
        relay: None,
        vat: None,
        business: false,
        currency: "EUR",
        is_test,
        amounts: None,
    }
}

fn relay(file: &'static str, is_test: bool, id: &'static str, source: &'static str) -> Expect {
    Expect { relay: Some((id, source, None)), ..plain(file, is_test) }
}

fn fulfilled(file: &'static str) -> Expect {
    Expect { fulfilled: true, ..plain(file, false) }
}

const RELAY_ID: &str = "shippingAddress.relayId";
const OTHER: &str = "shippingAddress.other";

/// One row per file. The module's Colissimo rule stores `product_code` `A2P` for every point whose order
/// names none (`ColissimoRule::getProductCode` falls back to it); the engine says "none given" (None)
/// and leaves that Colissimo default to the shop, so only codes the data carries are expected here.
fn table() -> Vec<Expect> {
    vec![
        // OrderRulesMissingCarrierTest::testAddingCarrier (no carrier: the module fills `standard`);
        // `env: epmm` is ShippedByMarketplace::isShippedManomano.
        fulfilled("manomano-epmm-missing-carrier"),
        // OrderRulesAmazonEbayTest::testSplitNameAlltricks (billing address, see below); already shipped.
        Expect { status: OrderStatus::Shipped, ..plain("order-alltricks", false) },
        // OrderRuleTaxForBusinessTest::testApplicability (is_business_order → applicable) and
        // ::testImportAmazonBusiness (tax 10.74).
        Expect { business: true, amounts: Some(("408-7273836-0105146", 107.4, 0.0)), ..plain("order-amazon-business", false) },
        // OrderImportVerifyCurrencyTest::testCurrencyVerification: the currency is GBP (the module's test
        // shop has no GBP, so its verifyOrder refuses; the engine hands GBP to the shop, which decides).
        Expect { status: OrderStatus::Shipped, currency: "GBP", ..plain("order-amazon-currency-gbp", false) },
        // OrderRulesSymbolConformityTest::testSymbolConfomity: imports once symbols are cleaned.
        plain("order-amazon-prohibited-symbols", true),
        // OrderRulesAmazonEbayTest::testSplitNameAmazon; already shipped, by the seller.
        Expect { status: OrderStatus::Shipped, ..plain("order-amazon-shipped", false) },
        // OrderRulesAmazonManomanoTvaTest::testAmazon: the VAT number reaches both addresses.
        Expect { vat: Some("BE0748493471"), business: true, ..plain("order-amazon-with-tva-num", true) },
        // OrderImportSimpleTest::testImportAmazon (TEST-ORDER-AMAZON, total 9.40, shipping 4.90);
        // OrderRulesTestingTest::testIfOrderIsTest (a test order); OrderRuleTaxForBusinessTest::testApplicability
        // (not business).
        Expect { amounts: Some(("TEST-ORDER-AMAZON", 9.4, 4.9)), ..plain("order-amazon", true) },
        // OrderRulesColissimoTest::testBhvColissimo: pickup point 488411.
        relay("order-bhv-colissimo", true, "488411", RELAY_ID),
        // OrderRuleTaxForBusinessTest::testImportRetifBusiness (business, no tax). `numero-tva-ue` is the
        // buyer's VAT id on Retif (API reference §6.8), which the module does not copy.
        Expect { vat: Some("FR65606720209"), business: true, ..relay("order-business", true, "488411", RELAY_ID) },
        // OrderImportCDiscountTest::testImportCDiscountWithRelais: colissimo_id 096772 (from `other`, carrier
        // SO1), total 40.75, no shipping. Anonymized: imported by the module, skipped by the engine's policy.
        Expect { amounts: Some(("TEST-70625LDVJE", 40.75, 0.0)), ..relay("order-cdiscount-colissimorelais", false, "096772", OTHER) },
        // OrderImportSimpleTest::testImportColizey: colissimo_id 060559, total 89.
        Expect {
            amounts: Some(("216e3d99-3c73-4d1b-a178-110e0b0369f6", 89.0, 0.0)),
            ..relay("order-colizey-colissimorelais", false, "060559", "additionalFields.shippingRelayId")
        },
        // OrderImportMondialRelaisTest::testDataMondialrelay (selected_relay_num 012082) and ::testDataOrder
        // (total 67, shipping 4).
        Expect {
            amounts: Some(("fb4d807c-f248-49c7-ac23-e8bc70c9a8d7", 67.0, 4.0)),
            ..relay("order-colizey-mondialrelais", false, "012082", "additionalFields.shippingRelayId")
        },
        // OrderImportGroupCustomerTest::testImportCustomer: imported (customer group is shop-side).
        plain("order-customer-group-2", true),
        plain("order-customer-group-3", true),
        // OrderRulesAmazonEbayTest::testSplitNameEbay: `other` is `leg1520`, kept in the address and not
        // a pickup point (eBay, no relay carrier).
        plain("order-ebay", false),
        // OrderSplittingTest::testImportSplittedOrder: total 19.40, shipping 4.90, over two lines.
        Expect { amounts: Some(("TEST-ORDER-SPLITTING", 19.4, 4.9)), ..plain("order-for-splitting", true) },
        // GaleriesLafayetteColissimoTest::testAssociationWithModuleColissimo: product_code A2P, here given
        // by the order's own `type-de-point`.
        Expect { relay: Some(("908557", "additionalFields.relais-id", Some("A2P"))), ..plain("order-galerieslafayette-colissimo", false) },
        // OrderGlsRuleTest::testRule: parcel_shop_id 2500976161.
        relay("order-gls", false, "2500976161", RELAY_ID),
        // OrderRulesAmazonEbayTest::testSplitNameLaredoute / ::testSplitNameLaredoutemirakl.
        plain("order-laredoute", false),
        plain("order-laredoutemirakl", false),
        // OrderImportLeroyMerlinTest::testAssociationWithModuleColissimo: colissimo_id 908645.
        relay("order-leroymerlin-colissimo", false, "908645", RELAY_ID),
        // OrderRulesColissimoTest::testColissimo: pickup point p31175.
        relay("order-manomano-colissimo", false, "p31175", RELAY_ID),
        // OrderRulesAmazonManomanoTvaTest::testManomano: VAT number B57681058 on both addresses; the
        // point sits in `other` under a DPD Pickup carrier (as in order-manomano).
        Expect { vat: Some("B57681058"), business: true, ..relay("order-manomano-with-tva-num", true, "p31175", OTHER) },
        // OrderRulesManomanoDpdRelaisTest::testSplitManoManoRelais (other p31175) and
        // OrderImportManoManoDpdRelaisWithDoubleTaxOnProductTest::testOrderDetails (total 14.60, shipping 4.80).
        Expect { amounts: Some(("MANOMANO-TEST-123", 14.6, 4.8)), ..relay("order-manomano", false, "p31175", OTHER) },
        // OrderRulesManomanoDpdRelaisTest::testSplitManoManoProRelais (a DPD relay order) and
        // OrderImportDPDManomanopro (imports, with its reference alias). `billing_fiscal_number` is the id
        // AmazonManomanoTva copies for Manomanopro.
        Expect { vat: Some("38191140300065"), business: true, ..relay("order-manomanopro", false, "P30911", OTHER) },
        // OrderRulesAmazonEbayTest::testSplitNameMiravia; already shipped.
        Expect { status: OrderStatus::Shipped, ..plain("order-miravia", false) },
        // OrderImportSimpleTest::testImportNatureDecouverte (total 9.40, shipping 4.90) and
        // OrderRulesTestingTest::testNotApplicable (not a test order). The Chronopost point is in
        // `shipping_pudo_id` (ChronopostRule::getRelayId); no module test checks it.
        Expect {
            amounts: Some(("ORDER-TEST-NETD", 9.4, 4.9)),
            ..relay("order-naturedecouverte", false, "2827U", "additionalFields.shipping_pudo_id")
        },
        // No module test reads this file; its `numero-tva-ue` makes it B2B, its relayId a point.
        Expect { vat: Some("FR65606720209"), business: true, ..relay("order-retif", true, "488411", RELAY_ID) },
        // OrderShippedByMarketplaceTest::testImportAfn / ::testImportClogistique / ::testImportEpmm /
        // ::testImportFulfilledChannel: imported as delivered with stock unchanged, i.e. fulfilled by the
        // marketplace. ShippedByMarketplace checks the payment method (`afn`, `clogistique`), `env: epmm`
        // and `fulfilledBy: channel` whatever the channel: these files are all Amazon orders.
        fulfilled("order-shipped-afn"),
        fulfilled("order-shipped-clogistique"),
        fulfilled("order-shipped-epmm"),
        fulfilled("order-shipped-fulfilledByChannel"),
        // OrderRulesColissimoTest::testShowroompriveColissimo: pickup point 488411.
        relay("order-showroomprive-colissimo", true, "488411", RELAY_ID),
        // OrderImportStockTest::testImportStockSimple: imports.
        plain("order-stock", true),
        // OrderImportWithConfigTest::testImportReferenceAsSKU: 200000VEEPEE200000 from Veepeegroup.
        plain("order-veepee", false),
        // OrderRulesColissimoTest::testVeepeegroupColissimo: pickup point 488411.
        relay("order-veepeegroup-colissimo", true, "488411", RELAY_ID),
        // OrderImportDiscountTest: total paid 213.46 with a 50.00 discount (`seller_voucher`).
        Expect { amounts: Some(("M240571903601", 213.46, 0.0)), ..plain("order-with-discount", false) },
        // OrderImportZalandoTest::testImport / ::testOrderDetails: imports with its two lines.
        plain("order-zalando-specificfields", false),
        // OrderImportSimpleTest::testImportZalando: colissimo_id 100562, product_code BPR, total 119.80.
        Expect {
            relay: Some(("100562", "additionalFields.service_point_id", Some("BPR"))),
            amounts: Some(("10301108385651", 119.8, 0.0)),
            ..plain("order-zalando", false)
        },
    ]
}

/// The folder itself: every file in it is a JSON order with a row in the table, or the README; a file
/// added without an expectation, or a row whose file went away, fails.
#[test]
fn every_file_of_the_folder_has_an_expectation() {
    let entries = std::fs::read_dir(dir()).unwrap_or_else(|e| panic!("{} must exist (the module's dataset): {e}", dir().display()));
    let mut on_disk = BTreeSet::new();
    for entry in entries {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name == "README.md" {
            continue;
        }
        let stem = name.strip_prefix("prestashop_").and_then(|n| n.strip_suffix(".json"));
        on_disk.insert(stem.unwrap_or_else(|| panic!("unexpected file {name} in the external fixtures")).to_string());
    }
    let rows: BTreeSet<String> = table().iter().map(|e| e.file.to_string()).collect();
    assert_eq!(rows.len(), table().len(), "one row per file");
    assert_eq!(on_disk, rows);
    assert_eq!(on_disk.len(), 40);
}

#[test]
fn every_file_parses_and_maps_as_the_module_tests_expect() {
    for e in table() {
        let o = order(e.file);
        let f = e.file;
        assert_eq!(o.status, e.status, "{f}: status");
        assert_eq!(is_fulfilled_by_channel(&o), e.fulfilled, "{f}: fulfilled by the marketplace");
        assert_eq!(o.is_test, e.is_test, "{f}: test order");
        // The mapping does not depend on the status: every file maps, the waiting shop-fulfilled ones
        // being those the engine imports.
        let d = to_draft(&o, &MappingOptions::default()).unwrap_or_else(|err| panic!("{f}: {err}"));
        assert_eq!(d.fulfilled_by_channel, e.fulfilled, "{f}");
        let got = d.relay_point.as_ref().map(|p| (p.id.as_str(), p.source.as_str(), p.product_code.as_deref()));
        assert_eq!(got, e.relay, "{f}: relay point");
        assert_eq!(d.vat_id.as_deref(), e.vat, "{f}: VAT id");
        assert_eq!(vat_id(&o).as_deref(), e.vat, "{f}: VAT id");
        assert_eq!(d.business, e.business, "{f}: B2B");
        assert_eq!(d.currency, e.currency, "{f}: currency");
        assert_eq!(d.is_test, e.is_test, "{f}");
        if let Some((reference, total, shipping)) = e.amounts {
            assert_eq!((d.reference.as_str(), d.total_amount, d.shipping_amount), (reference, total, shipping), "{f}: amounts");
        }
        // None of the module's files carries item ids (the sandbox must serve such orders too).
        assert!(d.lines.iter().all(|l| l.item_id.is_none()), "{f}: item ids");
        assert!(!d.lines.is_empty() && d.lines.iter().all(|l| !l.sku.is_empty() && l.quantity > 0), "{f}: lines");
        assert!(!d.shipping_address.city.is_empty() && !d.shipping_address.country.is_empty(), "{f}: a destination");
    }
}

/// Amounts and lines the module's import tests check beyond the table: Cdiscount's fee line, the
/// discount, the tax of the Amazon B2B order, the split order's two lines, Zalando's extra field.
#[test]
fn lines_fees_and_discounts_as_the_module_imports_them() {
    // OrderImportCDiscountTest: "two products + CDiscount fees" (INTERETBCA 0.95).
    let cdiscount = draft("order-cdiscount-colissimorelais");
    assert_eq!(cdiscount.lines.len(), 2);
    assert_eq!(cdiscount.adjustments.iter().map(|a| (a.kind.as_str(), a.amount)).collect::<Vec<_>>(), [("INTERETBCA", 0.95)]);
    // OrderImportDiscountTest: total_discounts_tax_incl 50.00.
    let discount = draft("order-with-discount");
    assert_eq!(discount.adjustments.iter().map(|a| (a.kind.as_str(), a.amount)).collect::<Vec<_>>(), [("seller_voucher", 50.0)]);
    // OrderRuleTaxForBusinessTest::testImportAmazonBusiness: tax 10.74.
    assert_eq!(draft("order-amazon-business").tax_amount, 10.74);
    // OrderSplittingTest: products 14.50 over two lines.
    let split = draft("order-for-splitting");
    assert_eq!((split.lines.len(), split.product_amount), (2, 14.5));
    // OrderImportZalandoTest::testDataSfOrder: additionalFields.customer_number kept.
    assert_eq!(order("order-zalando-specificfields").additional_text("customer_number").as_deref(), Some("93000070344"));
    // OrderImportWithConfigTest::testImportReferenceAsSKU: buyer e-mail caroline@domain.fr (billing has none).
    let veepee = draft("order-veepee");
    assert_eq!((veepee.channel.name.as_str(), veepee.buyer_email.as_str()), ("Veepeegroup", "caroline@domain.fr"));
    // OrderImportDPDManomanopro: the reference alias TH0064 → 3.
    let pro = draft("order-manomanopro");
    assert_eq!((pro.lines[0].original_reference.as_str(), pro.lines[0].sku.as_str()), ("TH0064", "3"));
}

/// OrderRulesAmazonEbayTest's expected billing addresses (street, other, postal code, city, country,
/// e-mail, company), as the draft carries them. The module also splits the full name the marketplace put
/// in `lastName`; the draft keeps it as sent (first name empty), so names are not compared.
#[test]
fn billing_addresses_as_the_module_tests_state() {
    let cases = [
        // testSplitNameOk
        ("order-amazon", "202 ecommerce", "10 rue Vivienne", "", "75002", "Paris", "unique.id@test.net"),
        // testSplitNameLaredoute
        ("order-laredoute", "", "25 RUE DES MARONNIERS", "", "71250", "CLUNY", "mp+20220414342060+000010890@web.redoute.fr"),
        // testSplitNameLaredoutemirakl
        ("order-laredoutemirakl", "", "10 rue Vivienne", "", "75000", "Paris", "mp+20220414342060+000010890@web.redoute.fr"),
        // testSplitNameEbay
        ("order-ebay", "", "23 rue de la jetée", "leg1520", "06800", "Cagnes Sur Mer", "abcdefghijklmopq@members.ebay.com"),
        // testSplitNameAmazon
        ("order-amazon-shipped", "", "36 Place d'Armes", "", "71150", "CHAGNY", "gfwv9k7xvwfrg11@marketplace.amazon.fr"),
        // testSplitNameAlltricks
        ("order-alltricks", "202 ecommerce", "10 rue Vivienne", "", "75002", "Paris", "unique.id.1@test.net"),
        // testSplitNameMiravia
        ("order-miravia", "202 ecommerce", "10 rue Vivienne", "", "75002", "Paris", "unique.id.2@test.net"),
    ];
    for (file, company, street, other, postal, city, email) in cases {
        let b = draft(file).billing_address;
        assert_eq!(
            (
                b.company.as_str(),
                b.street.as_slice(),
                b.other.as_str(),
                b.postal_code.as_str(),
                b.city.as_str(),
                b.country.as_str(),
                b.email.as_str()
            ),
            (company, [street.to_string()].as_slice(), other, postal, city, "FR", email),
            "{file}"
        );
    }
}
