package config

import (
	"reflect"
	"testing"
)

// fill gives every slice and map reachable from v one element, and every
// nil pointer a value, so the test sees each of them.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Slice:
		if v.Len() == 0 {
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		}
		for i := 0; i < v.Len(); i++ {
			fill(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		if v.Len() == 0 {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(e)
			v.SetMapIndex(k, e)
		}
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fill(v.Elem())
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Field(i).CanSet() {
				fill(v.Field(i))
			}
		}
	}
}

// shared names the first slice, map or pointer a and b have in common.
func shared(path string, a, b reflect.Value) string {
	switch a.Kind() {
	case reflect.Slice:
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			return path
		}
		for i := 0; i < a.Len(); i++ {
			if p := shared(path+"[i]", a.Index(i), b.Index(i)); p != "" {
				return p
			}
		}
	case reflect.Map, reflect.Pointer:
		if !a.IsNil() && a.Pointer() == b.Pointer() {
			return path
		}
		if a.Kind() == reflect.Pointer && !a.IsNil() {
			return shared(path, a.Elem(), b.Elem())
		}
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if p := shared(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i)); p != "" {
				return p
			}
		}
	}
	return ""
}

func TestCloneSharesNothing(t *testing.T) {
	c := Default()
	fill(reflect.ValueOf(&c).Elem())
	if len(c.Accounts) == 0 || len(c.Accounts[0].Folders) == 0 || len(c.Rules[0].From) == 0 {
		t.Fatal("fill left the lists empty; the test would prove nothing")
	}
	d := c.Clone()
	if !reflect.DeepEqual(c, d) {
		t.Fatalf("the clone differs:\n%+v\n%+v", c, d)
	}
	if p := shared("Config", reflect.ValueOf(c), reflect.ValueOf(d)); p != "" {
		t.Errorf("the clone shares %s with the original", p)
	}
	// The way the bug showed: a caller edits an account of its copy.
	d.Accounts[0].Name, d.Accounts[0].Folders[0] = "changed", "changed"
	if c.Accounts[0].Name == "changed" || c.Accounts[0].Folders[0] == "changed" {
		t.Error("changing the clone's account changed the original")
	}
	// And a plain copy does share (the test can fail).
	if p := shared("Config", reflect.ValueOf(c), reflect.ValueOf(c)); p == "" {
		t.Error("shared() sees nothing in a plain copy")
	}
}
