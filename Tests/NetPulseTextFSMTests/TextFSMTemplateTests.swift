import NetPulseTextFSM
import Testing

@Suite("TextFSM templates")
struct TextFSMTemplateTests {
    @Test("Filldown, Required and Record: one record per interface, the chassis filled down")
    func filldownRequired() throws {
        let template = try TextFSMTemplate(
            source: """
                Value Filldown CHASSIS (\\S+)
                Value Required INTERFACE (\\S+)
                Value STATUS (up|down)

                Start
                  ^Chassis ${CHASSIS}
                  ^${INTERFACE} is ${STATUS} -> Record
                """
        )
        let records = try template.parse("Chassis C1\nGi0/1 is up\nnoise\nGi0/2 is down\n")
        #expect(
            records == [
                TextFSMRecord(fields: [.init(name: "chassis", value: "C1"), .init(name: "interface", value: "Gi0/1"), .init(name: "status", value: "up")]),
                TextFSMRecord(fields: [.init(name: "chassis", value: "C1"), .init(name: "interface", value: "Gi0/2"), .init(name: "status", value: "down")]),
            ]
        )
    }
}
