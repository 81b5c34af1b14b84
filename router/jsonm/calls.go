package jsonm

import "strconv"

// The object-only built-ins (mcrouter's "built-in calls"): they get the
// call object unexpanded and expand its fields themselves, the per-item
// ones once per item in a scope that adds the loop variables.

// field returns obj's field name, or an error naming the built-in.
func field(obj *Value, builtin, name string) (*Value, error) {
	f := obj.Get(name)
	if f == nil {
		return nil, errAt(obj, builtin+": '"+name+"' not found")
	}
	return f, nil
}

// nameField returns the loop-variable name configured by field name
// (used as is, not expanded), or def.
func nameField(obj *Value, builtin, name, def string) (string, error) {
	f := obj.Get(name)
	if f == nil {
		return def, nil
	}
	s, ok := f.String()
	if !ok {
		return "", errAt(f, builtin+": "+name+" is "+f.Kind().String()+", string expected")
	}
	return s, nil
}

// transform maps over an object or array:
//
//	{"type": "transform", "dictionary": obj|list,
//	 "itemTransform": jsonm, "keyTransform": jsonm (objects only),
//	 "itemName": "item", "keyName": "key"}
//
// For objects, keyTransform may yield a string or an array of strings (the
// item is stored under each; an empty array drops the entry).
func (e *expander) transform(obj *Value, s *scope) (*Value, error) {
	df, err := field(obj, "Transform", "dictionary")
	if err != nil {
		return nil, err
	}
	dict, err := e.expand(df, s)
	if err != nil {
		return nil, wrap(err, df, "dictionary")
	}
	if !dict.IsObject() && !dict.IsArray() {
		return nil, errAt(df, "Transform: dictionary is "+dict.Kind().String()+", expected array/object")
	}
	if dict.Len() == 0 {
		return dict, nil
	}
	itemTransform := obj.Get("itemTransform")
	itemName, err := nameField(obj, "Transform", "itemName", "item")
	if err != nil {
		return nil, err
	}
	keyName, err := nameField(obj, "Transform", "keyName", "key")
	if err != nil {
		return nil, err
	}
	ext := newScope(s, false)
	keyB, itemB := &binding{}, &binding{}
	if err := ext.bind(keyName, keyB, obj); err != nil {
		return nil, err
	}
	if err := ext.bind(itemName, itemB, obj); err != nil {
		return nil, err
	}

	if dict.IsArray() {
		if itemTransform == nil {
			return nil, errAt(obj, "Transform: itemTransform is required for array")
		}
		for i, el := range dict.Elems {
			keyB.val, itemB.val = e.integer(int64(i), el), el
			v, err := e.expand(itemTransform, ext)
			if err != nil {
				return nil, wrap(err, itemTransform, "itemTransform of element #"+strconv.Itoa(i))
			}
			dict.Elems[i] = v
		}
		return dict, nil
	}

	keyTransform := obj.Get("keyTransform")
	res := e.made(KindObject, obj)
	res.Members = make([]Member, 0, len(dict.Members))
	for _, m := range dict.Members {
		keyB.val, itemB.val = e.str(m.Key, m.Val), m.Val
		nKey := keyB.val
		if keyTransform != nil {
			if nKey, err = e.expand(keyTransform, ext); err != nil {
				return nil, wrap(err, keyTransform, "keyTransform of "+strconv.Quote(m.Key))
			}
		}
		if !nKey.IsString() && !nKey.IsArray() {
			return nil, errAt(keyTransform, "Transformed key is "+nKey.Kind().String()+", expected array/string")
		}
		if nKey.IsArray() && len(nKey.Elems) == 0 {
			continue
		}
		nItem := itemB.val
		if itemTransform != nil {
			if nItem, err = e.expand(itemTransform, ext); err != nil {
				return nil, wrap(err, itemTransform, "itemTransform of "+strconv.Quote(m.Key))
			}
		}
		if nKey.IsString() {
			res.Set(nKey.s, nItem)
			continue
		}
		for i, k := range nKey.Elems {
			if !k.IsString() {
				return nil, errAt(keyTransform, "Transformed key list item is "+k.Kind().String()+", expected string")
			}
			if i == 0 {
				res.Set(k.s, nItem)
			} else {
				res.Set(k.s, e.copyOf(nItem))
			}
		}
	}
	return res, nil
}

// process folds over an object or array:
//
//	{"type": "process", "dictionary": obj|list, "initialValue": v,
//	 "transform": jsonm, "keyName": "key", "itemName": "item", "valueName": "value"}
//
// value = initialValue; for each (key, item): value = transform.
func (e *expander) process(obj *Value, s *scope) (*Value, error) {
	df, err := field(obj, "Process", "dictionary")
	if err != nil {
		return nil, err
	}
	dict, err := e.expand(df, s)
	if err != nil {
		return nil, wrap(err, df, "dictionary")
	}
	iv, err := field(obj, "Process", "initialValue")
	if err != nil {
		return nil, err
	}
	value, err := e.expand(iv, s)
	if err != nil {
		return nil, wrap(err, iv, "initialValue")
	}
	transform, err := field(obj, "Process", "transform")
	if err != nil {
		return nil, err
	}
	if !dict.IsObject() && !dict.IsArray() {
		return nil, errAt(df, "Process: dictionary is "+dict.Kind().String()+", expected array/object")
	}
	itemName, err := nameField(obj, "Process", "itemName", "item")
	if err != nil {
		return nil, err
	}
	keyName, err := nameField(obj, "Process", "keyName", "key")
	if err != nil {
		return nil, err
	}
	valueName, err := nameField(obj, "Process", "valueName", "value")
	if err != nil {
		return nil, err
	}
	ext := newScope(s, false)
	keyB, itemB, valueB := &binding{}, &binding{}, &binding{}
	for _, b := range []struct {
		name string
		b    *binding
	}{{keyName, keyB}, {itemName, itemB}, {valueName, valueB}} {
		if err := ext.bind(b.name, b.b, obj); err != nil {
			return nil, err
		}
	}
	step := func(key, item *Value, what string) error {
		keyB.val, itemB.val, valueB.val = key, item, value
		v, err := e.expand(transform, ext)
		if err != nil {
			return wrap(err, transform, "transform of "+what)
		}
		value = v
		return nil
	}
	if dict.IsArray() {
		for i, el := range dict.Elems {
			if err := step(e.integer(int64(i), el), el, "element #"+strconv.Itoa(i)); err != nil {
				return nil, err
			}
		}
		return value, nil
	}
	for _, m := range dict.Members {
		if err := step(e.str(m.Key, m.Val), m.Val, strconv.Quote(m.Key)); err != nil {
			return nil, err
		}
	}
	return value, nil
}

// foreach filters, maps and merges:
//
//	{"type": "foreach", "from": obj|list, "key": "key", "item": "item",
//	 "where": bool jsonm, "use": jsonm, "top": n, "noMatchResult": v}
//
// For the first top items of from that satisfy where: without use, the
// items are collected (an array for an array, an object for an object);
// with use, the expansions of use (all arrays or all objects) are
// concatenated or merged. No match gives noMatchResult, or an empty
// array/object like from.
func (e *expander) foreach(obj *Value, s *scope) (*Value, error) {
	ff, err := field(obj, "Foreach", "from")
	if err != nil {
		return nil, err
	}
	from, err := e.expand(ff, s)
	if err != nil {
		return nil, wrap(err, ff, "from")
	}
	if !from.IsObject() && !from.IsArray() {
		return nil, errAt(ff, "Foreach: from is "+from.Kind().String()+", expected object/array")
	}
	itemName, err := nameField(obj, "Foreach", "item", "item")
	if err != nil {
		return nil, err
	}
	keyName, err := nameField(obj, "Foreach", "key", "key")
	if err != nil {
		return nil, err
	}
	top := int64(from.Len())
	if tf := obj.Get("top"); tf != nil {
		tv, err := e.expand(tf, s)
		if err != nil {
			return nil, wrap(err, tf, "top")
		}
		t, ok := tv.Int()
		if !ok || t < 0 {
			return nil, errAt(tf, "Foreach: top should be a non-negative integer")
		}
		top = t
	}
	use, where := obj.Get("use"), obj.Get("where")

	ext := newScope(s, false)
	keyB, itemB := &binding{}, &binding{}
	if err := ext.bind(keyName, keyB, obj); err != nil {
		return nil, err
	}
	if err := ext.bind(itemName, itemB, obj); err != nil {
		return nil, err
	}

	var result *Value
	visit := func(key, item *Value, what string) error {
		keyB.val, itemB.val = key, item
		if where != nil {
			w, err := e.expand(where, ext)
			if err != nil {
				return wrap(err, where, "where of "+what)
			}
			ok, isBool := w.Bool()
			if !isBool {
				return errAt(where, "Foreach: expanded 'where' is "+w.Kind().String()+", expected bool")
			}
			if !ok {
				return nil
			}
		}
		top--
		if use == nil {
			if result == nil {
				result = e.made(from.Kind(), obj)
			}
			if from.IsArray() {
				result.Elems = append(result.Elems, item)
			} else {
				result.Set(key.s, item)
			}
			return nil
		}
		u, err := e.expand(use, ext)
		if err != nil {
			return wrap(err, use, "use of "+what)
		}
		switch {
		case result == nil:
			if !u.IsObject() && !u.IsArray() {
				return errAt(use, "Foreach: expanded item is "+u.Kind().String()+", expected object/array")
			}
			result = u
		case result.IsObject():
			if !u.IsObject() {
				return errAt(use, "Foreach: expanded item is "+u.Kind().String()+", expected object")
			}
			for _, m := range u.Members {
				result.Set(m.Key, m.Val)
			}
		default:
			if !u.IsArray() {
				return errAt(use, "Foreach: expanded item is "+u.Kind().String()+", expected array")
			}
			result.Elems = append(result.Elems, u.Elems...)
		}
		return nil
	}
	if from.IsArray() {
		for i := 0; i < len(from.Elems) && top > 0; i++ {
			if err := visit(e.integer(int64(i), from.Elems[i]), from.Elems[i], "element #"+strconv.Itoa(i)); err != nil {
				return nil, err
			}
		}
	} else {
		for _, m := range from.Members {
			if top <= 0 {
				break
			}
			if err := visit(e.str(m.Key, m.Val), m.Val, strconv.Quote(m.Key)); err != nil {
				return nil, err
			}
		}
	}
	if result == nil {
		if nm := obj.Get("noMatchResult"); nm != nil {
			v, err := e.expand(nm, s)
			if err != nil {
				return nil, wrap(err, nm, "noMatchResult")
			}
			return v, nil
		}
		result = e.made(from.Kind(), obj)
	}
	if result.IsArray() && result.Elems == nil {
		result.Elems = []*Value{}
	}
	if result.IsObject() && result.Members == nil {
		result.Members = []Member{}
	}
	return result, nil
}
