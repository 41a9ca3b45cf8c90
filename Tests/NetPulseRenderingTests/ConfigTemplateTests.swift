import NetPulse
import NetPulseRendering
import Testing

@Suite("Config templates: Jinja2's common subset on Stencil")
struct ConfigTemplateTests {
    @Test("variables, loops, conditions and filters render as Jinja2 would")
    func subset() throws {
        let template = ConfigTemplate(
            """
            hostname {{ hostname|upper }}
            {% for port in ports %}interface {{ port.name }}
             description {{ port.description|default:"unused" }}
            {% if port.shutdown %} shutdown
            {% endif %}{% endfor %}! {{ ports|length }} ports
            """)
        let rendered = try template.render([
            "hostname": .string("r1"),
            "ports": .array([
                .object(["name": .string("Gi0/1"), "description": .string("uplink"), "shutdown": .bool(false)]),
                .object(["name": .string("Gi0/2"), "shutdown": .bool(true)]),
            ]),
        ])
        #expect(
            rendered == """
                hostname R1
                interface Gi0/1
                 description uplink
                interface Gi0/2
                 description unused
                 shutdown
                ! 2 ports
                """)
    }

    @Test(
        "what the subset lacks is an error naming it and its line",
        arguments: [
            ("hostname {{ name }}\ndescription {{ name|wordwrap }}", 2, "wordwrap"),
            ("a\nb\n{% set x = 1 %}", 3, "set"),
            ("{% for x in xs %}\n{{ x }}", 1, "endfor"),
        ])
    func unsupported(text: String, line: Int, name: String) {
        #expect {
            _ = try ConfigTemplate(text).render(["name": .string("r"), "xs": .array([])])
        } throws: { error in
            guard let error = error as? RenderingError else { return false }
            return error.line == line && error.message.contains(name)
        }
    }
}
