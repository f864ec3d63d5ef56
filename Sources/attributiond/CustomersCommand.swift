import ArgumentParser
import AttributionCore
import AttributionStore

/// `attributiond customers add|show|approve`: signups recorded by hand, lookups, and approvals of self-referrals.
struct CustomersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customers", abstract: "Record a signup with its partner, or show a customer.",
        subcommands: [Add.self, Show.self, Approve.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a signup: the customer key and its partner (as the signup API does).",
            discussion: "The first partner recorded for a customer wins; repeating a signup changes nothing.")
        @OptionGroup var common: CommonOptions
        @Option(help: "The customer key (the value of metadata.customer_key in Stripe).") var key: String
        @Option(help: "The partner key.") var partner: String?
        @Option(help: "The partner key as base64 (standard or URL-safe, padding optional), as in referral links.")
        var gspk: String?
        @Option(help: "The customer's email.") var email: String?
        @Option(help: "The customer's name.") var name: String?

        func run() async throws {
            guard !key.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw UsageError(message: "invalid --key: the customer key is empty")
            }
            let partnerKey: String
            do {
                partnerKey = try Gspk.partnerKey(partnerKey: partner, gspk: gspk)
            } catch {
                throw UsageError(
                    message: error.description.hasPrefix("give")
                        ? "\(error.description) (--partner or --gspk)"
                        : error.description)
            }
            let settings = try await common.settings()
            let result = try await common.open(settings).recordSignup(
                LocalEvent.Signup(customerKey: key, partnerKey: partnerKey, email: email, name: name),
                settings: settings.apply, now: now())
            let partner = result.customer.partnerKey ?? "none"
            if result.outcome == .duplicate {
                print("customer \(key) had already signed up: unchanged, partner \(partner)")
            } else if partner != partnerKey {
                print("customer \(key) recorded; it stays with partner \(partner), recorded earlier (not \(partnerKey))")
            } else {
                print("customer \(key) recorded with partner \(partner)")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a customer by customer key or Stripe customer id.")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The customer key or Stripe customer id (cus_…).") var key: String

        func run() async throws {
            guard let c = try common.open(try await common.settings()).customer(key: key) else {
                throw RuntimeFailure(message: "cannot show customer \(key): no such customer")
            }
            print(
                """
                customer_key:       \(c.customerKey ?? "-")
                stripe_customer_id: \(c.stripeCustomerId ?? "-")
                partner_key:        \(c.partnerKey ?? "- (unattributed)")
                email:              \(c.email ?? "-")
                name:               \(c.name ?? "-")
                livemode:           \(c.livemode ? 1 : 0)
                created_at:         \(c.createdAt)
                updated_at:         \(c.updatedAt)
                deleted_at:         \(c.deletedAt ?? "-")
                """)
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve a customer flagged self_referral: its held commissions become payable (the flag stays).")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The customer key or Stripe customer id (cus_…).") var key: String

        func run() async throws {
            switch try common.open(try await common.settings()).approveCustomer(key, now: now()) {
            case .approved(let flagged):
                print(
                    flagged
                        ? "customer \(key) approved: its held commissions are released"
                        : "customer \(key) approved (it is not flagged self_referral; nothing was held)")
            case .alreadyApproved(let at):
                print("customer \(key) was approved at \(at): unchanged")
            }
        }
    }
}
