import AttributionCore
import Foundation
import Testing

/// The `send-test-events` sequence: well-formed Stripe events, unique per run, signed as intended.
@Suite struct TestEventSequenceTests {
    let sequence = TestEventSequence(runId: "abc123", start: 1_700_000_000)

    @Test func everyDeliveryIsAStripeEventOfThisRun() throws {
        let deliveries = sequence.deliveries()
        #expect(
            deliveries.map(\.event.type) == [
                "customer.created", "charge.succeeded", "charge.refunded", "customer.subscription.created",
                "customer.subscription.updated", "charge.succeeded", "customer.updated",
                "customer.created", "checkout.session.completed", "charge.succeeded",
                "promotion_code.created", "customer.created", "customer.discount.created", "charge.succeeded",
            ])
        for delivery in deliveries {
            let event = try StripeEvent.decode(delivery.event.body)
            #expect(event.id == delivery.event.id)
            #expect(event.id.hasPrefix("evt_test_abc123_"))
            #expect(!event.livemode)
        }
    }

    @Test func carriesTheKeysAndAPartialRefund() throws {
        let events = try sequence.deliveries().map { try StripeEvent.decode($0.event.body) }
        #expect(
            AttributionKeys(metadata: events[0].object["metadata"])
                == AttributionKeys(customerKey: sequence.customerKey, partnerKey: sequence.partnerKey))
        #expect(AttributionKeys(metadata: events[1].object["metadata"]).productKey == sequence.productKey)
        let refund = events[2].object
        #expect(refund["amount_refunded"]?.int == sequence.refunded)
        #expect(sequence.refunded < sequence.amount)
        #expect(refund["refunded"]?.bool == false)
        #expect(events[3].object["status"]?.string == "incomplete")
        #expect(events[4].object["status"]?.string == "active")
    }

    @Test func duplicateIsByteForByteTheChargeAndOnlyTheForgedOneIsWronglySigned() {
        let deliveries = sequence.deliveries()
        #expect(deliveries[5].event == deliveries[1].event)
        #expect(deliveries[5].expectation == .duplicate)
        let verifier = StripeSignatureVerifier(secrets: ["whsec_right"])
        for delivery in deliveries {
            let header = delivery.signature(secret: "whsec_right", timestamp: 1_700_000_100)
            let verified = (try? verifier.verify(payload: delivery.event.body, header: header, now: 1_700_000_100)) != nil
            #expect(verified == (delivery.expectation != .rejected), "\(delivery.name)")
        }
    }

    @Test func theCodelessSalesNameTheirPartnersOnlyThroughTheSessionAndTheCode() throws {
        let events = try sequence.deliveries().map { try StripeEvent.decode($0.event.body) }
        let session = try CheckoutSessionSnapshot(event: events[8])
        #expect(session.partnerKey == sequence.linkPartnerKey && session.customerId == sequence.linkCustomerId)
        #expect(try PromotionCodeSnapshot(event: events[10]).partnerKey == sequence.promoPartnerKey)
        #expect(DiscountSnapshot(event: events[12]).promotionCode?.id == sequence.promotionCodeId)
        for i in [7, 9, 11, 13] {
            #expect(AttributionKeys(metadata: events[i].object["metadata"]) == AttributionKeys(), "\(events[i].type)")
        }
    }

    @Test func runsDoNotShareIds() {
        #expect(TestEventSequence.makeRunId() != TestEventSequence.makeRunId())
        #expect(TestEventSequence.makeRunId().count == 12)
    }
}
