//~~tv:20010.20230630
// A Tealium utag.js container (shape only): its Intercom tag loads the widget.
utag.loader.cfg={"7":{load:1,send:1,v:202401011200,wait:1,tid:20010}};
utag_cfg_ovrd={noview:false};
(function(){var u="https://widget.intercom.io/widget/"+utag.data.app_id;utag.ut.loader({src:u,cb:function(){window.Intercom("boot",{app_id:"abc123"})}})})();
